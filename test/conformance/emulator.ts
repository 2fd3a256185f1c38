/** The conformance backend that runs cases in the local engine. */
import { ByteBuffer, DataRef } from "../../runtime/bindings/data.js";
import { Engine, HookError } from "../../runtime/engine.js";
import { TARGET_ENTRY, type Target } from "../../common/dialect.js";
import type { LuaValue } from "../../runtime/values.js";
import { hex, unhex, type Backend, type CallInput, type CallResult, type CaseInput, type CaseResult } from "./backend.js";

const bytesOf = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

function call(engine: Engine, target: Target, input: CallInput): CallResult {
  const state = engine.state(input.cpu ?? 0);
  const entry = TARGET_ENTRY[target];
  state.ctx.redirect = undefined;
  try {
    if (input.fn !== undefined) {
      const arg = target === "tls" ? bytesOf(input.msg ?? "") : new DataRef(new ByteBuffer(target === "xdp" ? unhex(input.packet ?? "") : bytesOf(input.buf ?? "")));
      const [value] = state.call(input.fn, [arg], 1);
      return { value: typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? value : null };
    }
    if (target === "xdp") {
      const pkt = new DataRef(new ByteBuffer(unhex(input.packet ?? "")));
      const args: LuaValue[] = [pkt];
      if (input.arg !== undefined) args.push(new DataRef(new ByteBuffer(unhex(input.arg))));
      const [action] = state.call(entry, args, 1);
      const result: CallResult = { action: action as number, packet: hex(pkt.buf.bytes) };
      if (state.ctx.redirect !== undefined) result.redirect = state.ctx.redirect;
      return result;
    }
    if (target === "tls") {
      const [code, file] = state.call(entry, [bytesOf(input.msg ?? "")], 2);
      return file === undefined ? { code: code as number } : { code: code as number, file: file as string };
    }
    const [verdict] = state.call(entry, [new DataRef(new ByteBuffer(bytesOf(input.buf ?? "")))], 1);
    return { verdict: verdict !== undefined && verdict !== false };
  } catch (e) {
    if (e instanceof HookError && e.kind !== "divergence") return { ...(input.fn === undefined ? passThrough(target, input) : {}), error: e.luaMessage };
    throw e;
  }
}

/** What the kernel does with traffic when the hook raised an error: lets it through untouched. */
function passThrough(target: Target, input: CallInput): CallResult {
  if (target === "xdp") return { action: 2, packet: input.packet ?? "" };
  return target === "tls" ? { code: 0 } : { verdict: true };
}

export const emulatorBackend: Backend = {
  name: "emulator",
  async run(script: string, target: Target, input: CaseInput): Promise<CaseResult> {
    const engine = new Engine(script, { target, chunkName: "case.lua", states: input.cpus ?? 1 });
    for (const [key, value] of Object.entries(input.rcu ?? {})) engine.rcu.set(key, value);
    const calls = input.calls.map((c) => call(engine, target, c));
    const result: CaseResult = { calls };
    if (input.readRcu) result.rcu = Object.fromEntries(input.readRcu.map((k) => [k, engine.rcu.get(k) ?? null]));
    return result;
  },
};
