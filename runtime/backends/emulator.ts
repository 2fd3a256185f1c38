/** The local engine as a backend: the hook's Lua in Fengari states set up like the kernel's. */
import { TARGET_ENTRY } from "../../common/dialect.js";
import { LentInput } from "../bindings/data.js";
import { Engine, type HookState } from "../engine.js";
import { HookError } from "../errors.js";
import { fromTs, toTs, type LuaValue } from "../values.js";
import { passThrough, type Backend, type CallInput, type CallOutcome, type LoadedScript, type ScriptSpec } from "./backend.js";

/**
 * The entry's results taken as kscript.ko takes them (kmod/core: the call path), its refusals worded the
 * same: an xdp action and a tls code must be integers (a tls code may be nil: 0), a tls file is a string or
 * nothing, a sock verdict is Lua truth.
 */
/** rcu keys and values between the test (numbers, bigints beyond 2^53) and the store (canonical integers). */
const lua = <T,>(v: T): T => (typeof v === "number" || typeof v === "bigint" ? fromTs(v) : v) as T;
const ts = <T,>(v: T): T => (typeof v === "bigint" ? toTs(v) : v) as T;

/** Each state's lent inputs (the packet, xdp's argument), as kscript.ko keeps them per state. */
const lentInputs = new WeakMap<HookState, [LentInput, LentInput]>();

function inputsOf(state: HookState): [LentInput, LentInput] {
  let inputs = lentInputs.get(state);
  if (!inputs) lentInputs.set(state, (inputs = [new LentInput(state.L), new LentInput(state.L)]));
  return inputs;
}

function takeResults(engine: Engine, spec: ScriptSpec, call: CallInput): CallOutcome {
  if (spec.target === "module") throw new Error(`${spec.name} is a plain module, not a hook: call its functions with hook.call`);
  const state = engine.state(call.cpu ?? 0);
  const [input, arg] = inputsOf(state);
  try {
    return callEntry(engine, spec, call, state, input, arg);
  } finally {
    // The lent bytes are the caller's again: views kept by Lua go blank.
    input.end();
    arg.end();
  }
}

function callEntry(engine: Engine, spec: ScriptSpec, call: CallInput, state: HookState, input: LentInput, arg: LentInput): CallOutcome {
  const entry = TARGET_ENTRY[spec.target as Exclude<typeof spec.target, "module">];
  if (call.fn !== undefined) {
    const value0 = spec.target === "tls" ? Uint8Array.from(call.input) : input.lend(Uint8Array.from(call.input));
    const [value] = state.call(call.fn, [value0], 1);
    return { kind: "call", value: typeof value === "string" || typeof value === "number" || typeof value === "bigint" || typeof value === "boolean" ? value : null };
  }
  const refuse = (what: string) => engine.error("runtime", `${spec.name}: ${entry} must return ${what}`);
  state.ctx.redirect = undefined;
  if (spec.target === "xdp") {
    const pkt = input.lend(Uint8Array.from(call.input));
    const args: LuaValue[] = [pkt];
    if (call.arg) args.push(arg.lend(Uint8Array.from(call.arg)));
    const [action] = state.call(entry, args, 1);
    if (typeof action !== "number") throw refuse("an xdp action");
    const outcome: CallOutcome = { kind: "xdp", action, packet: pkt.buf.bytes.slice() };
    if (state.ctx.redirect !== undefined) outcome.redirect = state.ctx.redirect;
    return outcome;
  }
  if (spec.target === "tls") {
    const [code, file] = state.call(entry, [Uint8Array.from(call.input)], 2);
    if (code !== undefined && typeof code !== "number") throw refuse("an integer code");
    return typeof file === "string" ? { kind: "tls", code: code ?? 0, file } : { kind: "tls", code: code ?? 0 };
  }
  const [verdict] = state.call(entry, [input.lend(Uint8Array.from(call.input))], 1);
  return { kind: "sock", accept: verdict !== undefined && verdict !== false };
}

export const emulatorBackend: Backend = {
  name: "emulator",
  load(spec: ScriptSpec): LoadedScript {
    const engine = new Engine(spec.lua, {
      target: spec.target,
      chunkName: `${spec.name}.lua`,
      states: spec.cpus ?? 1,
      limits: spec.limits,
      locate: spec.locate,
      print: spec.print,
    });
    return {
      name: spec.name,
      target: spec.target,
      rcu: {
        get: (key) => ts(engine.rcu.get(lua(key))),
        set: (key, value) => void engine.rcu.set(lua(key), value === undefined ? undefined : lua(value)),
      },
      logs: engine.logs,
      engine,
      run(call) {
        try {
          return takeResults(engine, spec, call);
        } catch (e) {
          if (e instanceof HookError && spec.target !== "module") return { ...passThrough(spec.target, call.input), error: e };
          throw e;
        }
      },
      call: (fn, args, nresults, cpu) => engine.state(cpu).call(fn, args, nresults),
      unload() {},
    };
  },
};
