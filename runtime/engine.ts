/**
 * The local engine: Fengari states set up like the kernel's (docs/architecture.md, "The local engine" and "Safety
 * model"): the dialect's globals only, text-only loading, an instruction budget per call, a memory cap,
 * a stack guard, 64-bit integer semantics (fengari64.ts), and N states sharing one `rcu` table.
 */
import { BINDINGS, DEFAULT_LIMITS, LIBRARIES, allowedGlobals, type Limits, type Target } from "../common/dialect.js";
import { BINDING_INSTALLERS } from "./bindings/index.js";
import type { BindingContext } from "./bindings/context.js";
import { EmulatorFault } from "./kint.js";
import { installExactLibraries } from "./libs.js";
import { HookError, hookError, type ErrorKind } from "./errors.js";
import { fengari, lauxlib, lua, lualib, to_jsstring, to_luastring } from "./fengari64.js";
import { measureLive } from "./heap.js";
import { fromLua, pushValue, type LuaValue } from "./values.js";
import { SharedRcu } from "./bindings/rcu.js";
import { SettableClock } from "./bindings/time.js";

/* eslint-disable @typescript-eslint/no-explicit-any -- Fengari's states and objects are untyped. */
type LuaState = any;

/**
 * The engine counts `instructions` per call into the hook (and for running the chunk itself) and `memory` as
 * the bytes of live Lua objects (strings, tables, closures, stacks) a state holds, by kernel sizes; `time` is
 * the kernel's wall-clock backstop and is not emulated.
 */
export type { Limits };

export interface EngineOptions {
  target: Target | "module";
  /** Chunk name used in messages: `hook.lua` gives `hook.lua:12: …`. */
  chunkName: string;
  /** Number of states (the kernel has one per CPU for XDP). */
  states?: number;
  limits?: Partial<Limits>;
  /** Maps a Lua line of the chunk to `file.ts:line`. */
  locate?: (luaLine: number) => string | undefined;
  /** Receives what `print` writes (the kernel's printk). */
  print?: (line: string) => void;
}

const BUDGET_MESSAGE = "instruction budget exceeded";
/** The kernel's count hook period (KLUA_HOOK_EVERY in kmod/lua/klua.c): the budget is checked as often. */
const HOOK_EVERY = 1000;
/**
 * A call of an xdp hook runs in softirq in the kernel, where at most this many instructions run whatever the
 * limits say (KLUA_ATOMIC_INSNS); its load runs in process context, without the ceiling.
 */
const XDP_CEILING = 1_000_000;

/** One Lua state with its sandbox, budget and memory meter. */
export class HookState {
  readonly L: LuaState;
  /** A fault is remembered even if the hook catches it with pcall: the kernel would not have raised it. */
  private fault: EmulatorFault | RangeError | undefined;
  /** The fault's message with the Lua position it happened at. */
  private faultMessage = "";
  /** Lua lines of the frames where the call failed, innermost first (HookError's TypeScript location). */
  private stack: number[] = [];
  private budgetHit = false;
  /** Instructions and library steps charged in the current call, across all of its coroutines. */
  private insns = 0;
  /** The current call's instruction budget. */
  private budget = 0;
  private readonly meter: Meter;
  /** Entry names as Lua strings, converted once (calls are per packet). */
  private readonly names = new Map<string, Uint8Array>();

  constructor(
    private readonly engine: Engine,
    readonly cpu: number,
    readonly ctx: BindingContext,
  ) {
    const L = lauxlib.luaL_newstate();
    this.L = L;
    this.meter = new Meter(L, Infinity);
    L.l_G.kmeter = this.meter;
    L.l_G.kcharge = this.charge;
    L.l_G.kfault = (L1: LuaState, e: EmulatorFault | RangeError) => {
      const message = e instanceof EmulatorFault ? e.message : "stack overflow (JavaScript stack of the emulator)";
      const where = luaWhere(L1);
      if (!this.fault) {
        this.fault = e;
        this.faultMessage = where + message;
        this.stack = luaLines(L1);
      }
      // luaG_runerror adds the position itself when the current frame is Lua; a C function (string.unpack,
      // tonumber, …) has none, so name the nearest Lua caller's line.
      fengari.ldebug.luaG_runerror(L1, to_luastring("%s"), to_luastring((L1.ci.callstatus & CIST_LUA ? "" : where) + message));
    };
    this.openSandbox(engine.target);
    this.meter.cap = engine.limits.memory;
  }

  private openSandbox(target: Target | "module"): void {
    const L = this.L;
    const libs: Record<string, (L: LuaState) => number> = {
      _G: lualib.luaopen_base,
      string: lualib.luaopen_string,
      table: lualib.luaopen_table,
      utf8: lualib.luaopen_utf8,
      coroutine: lualib.luaopen_coroutine,
      math: lualib.luaopen_math,
    };
    for (const [name, open] of Object.entries(libs)) {
      lauxlib.luaL_requiref(L, to_luastring(name), open, 1);
      lua.lua_pop(L, 1);
    }
    const allowed = allowedGlobals(target);
    lua.lua_pushglobaltable(L);
    installExactLibraries(L);
    const present: string[] = [];
    lua.lua_pushnil(L);
    while (lua.lua_next(L, -2) !== 0) {
      lua.lua_pop(L, 1);
      present.push(lua.lua_tojsstring(L, -1));
    }
    for (const name of present) {
      if (allowed.has(name)) continue;
      lua.lua_pushnil(L);
      lua.lua_setfield(L, -2, to_luastring(name));
    }
    for (const [lib, kept] of Object.entries(LIBRARIES)) this.trimLibrary(lib, kept);
    lua.lua_pop(L, 1);
    lua.lua_register(L, to_luastring("print"), (L1: LuaState) => {
      const parts: string[] = [];
      const n = lua.lua_gettop(L1);
      // printk writes bytes: any that are not UTF-8 show as U+FFFD here.
      for (let i = 1; i <= n; i++) parts.push(to_jsstring(lauxlib.luaL_tolstring(L1, i), undefined, undefined, true));
      this.engine.print(parts.join("\t"));
      return 0;
    });
    for (const name of Object.keys(BINDINGS)) {
      if (!allowed.has(name)) continue;
      const install = BINDING_INSTALLERS[name];
      if (!install) throw new Error(`binding '${name}' of the dialect has no emulation in runtime/bindings`);
      install(L, this.ctx);
      lua.lua_setglobal(L, to_luastring(name));
    }
  }

  /** Leaves only the dialect's members in a library table (global on top of the stack). */
  private trimLibrary(lib: string, kept: readonly string[]): void {
    const L = this.L;
    if (lua.lua_getfield(L, -1, to_luastring(lib)) !== lua.LUA_TTABLE) {
      lua.lua_pop(L, 1);
      return;
    }
    const names: string[] = [];
    lua.lua_pushnil(L);
    while (lua.lua_next(L, -2) !== 0) {
      lua.lua_pop(L, 1);
      names.push(lua.lua_tojsstring(L, -1));
    }
    for (const name of names) {
      if (kept.includes(name)) continue;
      lua.lua_pushnil(L);
      lua.lua_setfield(L, -2, to_luastring(name));
    }
    lua.lua_pop(L, 1);
  }

  /** Loads the chunk (text only) and runs it under the budget: it defines the entry global. */
  load(code: string, chunkName: string): void {
    const L = this.L;
    const status = lauxlib.luaL_loadbufferx(L, to_luastring(code), null, to_luastring("=" + chunkName), to_luastring("t"));
    if (status !== lua.LUA_OK) {
      // A load error is a string, unless a patched-in fault raised something else.
      const message = String(lua.lua_tojsstring(L, -1) ?? "error object is not a string");
      lua.lua_pop(L, 1);
      throw this.engine.error("syntax", message);
    }
    this.protectedCall(0, 0, this.engine.limits.instructions);
  }

  /**
   * Calls global function `entry` with `args` under the budget; returns its results. Throws HookError for
   * a Lua error, and for a budget, memory or stack overrun even when the hook caught it.
   */
  call(entry: string, args: readonly LuaValue[], nresults: number): LuaValue[] {
    const L = this.L;
    let name = this.names.get(entry);
    if (!name) this.names.set(entry, (name = to_luastring(entry)));
    const top = lua.lua_gettop(L);
    if (lua.lua_getglobal(L, name) !== lua.LUA_TFUNCTION) {
      lua.lua_pop(L, 1);
      throw this.engine.error("runtime", `the hook defines no global function '${entry}'`);
    }
    try {
      for (const a of args) pushValue(L, a);
    } catch (e) {
      lua.lua_settop(L, top); // drop the function and the arguments pushed so far
      throw e;
    }
    const limit = this.engine.limits.instructions;
    this.protectedCall(args.length, nresults, this.engine.target === "xdp" ? Math.min(limit, XDP_CEILING) : limit);
    const out: LuaValue[] = [];
    for (let i = nresults; i >= 1; i--) out.push(fromLua(L, -i));
    lua.lua_pop(L, nresults);
    return out;
  }

  private protectedCall(nargs: number, nresults: number, budget: number): void {
    const L = this.L;
    this.fault = undefined;
    this.budgetHit = false;
    L.l_G.kover = false;
    this.insns = 0;
    this.budget = budget;
    this.stack = [];
    // Coroutines created during the call inherit the hook; all of them count into `insns`.
    lua.lua_sethook(L, this.onHook, lua.LUA_MASKCOUNT, HOOK_EVERY);
    const handler = lua.lua_gettop(L) - nargs;
    lua.lua_pushcfunction(L, this.onError);
    lua.lua_insert(L, handler);
    const status = lua.lua_pcall(L, nargs, nresults, handler);
    lua.lua_remove(L, handler);
    // Both are set from inside the call (kfault, onHook, charge), which flow analysis cannot see.
    const fault = this.fault as EmulatorFault | RangeError | undefined;
    const budgetHit = this.budgetHit as boolean;
    if (status === lua.LUA_OK && !fault && !budgetHit) return;
    const message = status === lua.LUA_OK ? "" : to_jsstring(lauxlib.luaL_tolstring(L, -1), undefined, undefined, true);
    if (status !== lua.LUA_OK) lua.lua_pop(L, 2);
    else lua.lua_pop(L, nresults);
    // The fault's own message: what reached the top may be a later error, or nothing if pcall caught it.
    if (fault instanceof EmulatorFault) throw this.engine.error(fault.kind, this.faultMessage, this.stack);
    if (fault) throw this.engine.error("stack", this.faultMessage, this.stack);
    if (budgetHit) throw this.engine.error("budget", message || `${BUDGET_MESSAGE} (caught by the hook)`, this.stack);
    throw this.engine.error(/stack overflow/.test(message) ? "stack" : "runtime", message, this.stack);
  }

  /**
   * The message handler of every call, as the kernel's: where the error was raised (for its TypeScript
   * location), and the error object as text (its __tostring runs under the call's budget).
   */
  private readonly onError = (L: LuaState): number => {
    this.stack = luaLines(L);
    if (lua.lua_type(L, 1) !== lua.LUA_TSTRING) lauxlib.luaL_tolstring(L, 1);
    return 1;
  };

  /** The count hook, as klua_hook: every HOOK_EVERY instructions of any coroutine of the call. */
  private readonly onHook = (L: LuaState): void => {
    this.insns += HOOK_EVERY;
    if (this.insns > this.budget) this.budgetExceeded(L);
  };

  /** Work done inside a library function or a VM operation in C, as kscript_lua_charge. */
  private readonly charge = (L: LuaState, cost: number | bigint): void => {
    if (cost > this.budget - Math.min(this.insns, this.budget)) this.budgetExceeded(L);
    this.insns += Number(cost);
  };

  /**
   * The call is over, as klua_budget_exceeded: the error names the innermost Lua function's line, and no pcall,
   * message handler or coroutine of the hook can catch it (`kover`, fengari64.ts).
   */
  private budgetExceeded(L: LuaState): never {
    this.budgetHit = true;
    L.l_G.kover = true;
    this.stack = luaLines(L);
    lua.lua_pushstring(L, to_luastring(luaWhere(L) + BUDGET_MESSAGE));
    return lua.lua_error(L) as never;
  }
}

const CIST_LUA = 1 << 1;
/**
 * Frames of a failing call looked at for its location: enough to get out of lualib helpers and callbacks, and
 * few because lua_getstack walks from the top each time (a stack overflow is 100000 frames deep).
 */
const LOCATION_FRAMES = 32;
/** The current lines of the innermost Lua frames on L's stack, innermost first. */
function luaLines(L: LuaState): number[] {
  const ar = new lua.lua_Debug();
  const lines: number[] = [];
  for (let level = 0; level < LOCATION_FRAMES && lua.lua_getstack(L, level, ar); level++) {
    lua.lua_getinfo(L, to_luastring("l"), ar);
    if (ar.currentline > 0) lines.push(ar.currentline);
  }
  return lines;
}
/** `source:line: ` of the nearest Lua frame. */
function luaWhere(L: LuaState): string {
  const ar = new lua.lua_Debug();
  for (let level = 0; lua.lua_getstack(L, level, ar); level++) {
    lua.lua_getinfo(L, to_luastring("Sl"), ar);
    if (ar.currentline > 0) return `${fengari.to_jsstring(ar.short_src)}:${ar.currentline}: `;
  }
  return "";
}

/**
 * The memory cap. Fengari has no allocator to hook, so the patched constructors report each new string,
 * table, table entry and closure with its size in the kernel's 64-bit Lua; after every `cap / 4` bytes
 * reported, the meter measures what is still reachable (heap.ts) and fails with "not enough memory" when
 * that exceeds the cap. Guarantee: a state never runs past `cap` live bytes by more than `cap / 4`
 * allocated since the last measurement, and garbage is never counted against it.
 */
class Meter {
  private sinceCheck = 0;

  constructor(
    private readonly L: LuaState,
    public cap: number,
  ) {}

  alloc(bytes: number): void {
    this.sinceCheck += bytes;
    if (this.sinceCheck > this.cap / 4) this.check(0);
  }

  /** Growth that cannot fail where it happens (the Lua stack); checked at the next allocation. */
  note(bytes: number): void {
    this.sinceCheck += bytes;
  }

  /** A buffer about to grow to `bytes` (string.rep, concat, format): refused before it is made. */
  reserve(bytes: number): void {
    if (bytes > this.cap) this.fail(bytes);
  }

  private check(pending: number): void {
    this.sinceCheck = 0;
    const live = measureLive(this.L) + pending;
    if (live > this.cap) this.fail(live);
  }

  private fail(bytes: number): never {
    throw new EmulatorFault("memory", `not enough memory (${bytes} bytes live or requested, cap ${this.cap})`);
  }
}

/** N states loaded with the same chunk, sharing the `rcu` table. */
export class Engine {
  readonly target: Target | "module";
  readonly limits: Limits;
  readonly states: HookState[];
  readonly rcu = new SharedRcu();
  /** What `time` reads in every state; tests set it. */
  readonly clock = new SettableClock();
  readonly logs: string[] = [];

  constructor(
    code: string,
    private readonly options: EngineOptions,
  ) {
    this.target = options.target;
    const given = Object.entries(options.limits ?? {}).filter(([, v]) => v !== undefined);
    this.limits = { ...DEFAULT_LIMITS, ...Object.fromEntries(given) };
    this.states = [];
    for (let cpu = 0; cpu < (options.states ?? 1); cpu++) {
      const state = new HookState(this, cpu, { rcu: this.rcu, clock: this.clock, cpu });
      state.load(code, options.chunkName);
      this.states.push(state);
    }
  }

  state(cpu = 0): HookState {
    const s = this.states[cpu];
    if (!s) throw new RangeError(`no state for cpu ${cpu} (the engine has ${this.states.length})`);
    return s;
  }

  print(line: string): void {
    this.logs.push(line);
    this.options.print?.(line);
  }

  error(kind: ErrorKind, luaMessage: string, stack: readonly number[] = []): HookError {
    return hookError(kind, luaMessage, this.options.chunkName, this.options.locate, stack);
  }
}
