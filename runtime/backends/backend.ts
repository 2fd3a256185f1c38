/**
 * Where a hook runs: the local engine or kscript.ko. Both backends take the same script and inputs and answer
 * the same way, so `kscript/testing` and the conformance corpus drive either without knowing which it is.
 */
import type { Target } from "../../common/dialect.js";
import type { RcuKey, RcuValue } from "../bindings/context.js";
import type { Engine, Limits } from "../engine.js";
import type { HookError } from "../errors.js";
import type { LuaValue } from "../values.js";

export interface ScriptSpec {
  /** The package's name; messages and the kernel's registry use it. */
  name: string;
  /** A plain module has no entry: only `call` reaches it, in the local engine. */
  target: Target | "module";
  lua: string;
  /** Per-CPU Lua states (XDP runs one per CPU); default 1. */
  cpus?: number;
  limits?: Partial<Limits>;
  /** Maps a Lua line of the chunk to `file.ts:line`. */
  locate?: (luaLine: number) => string | undefined;
  /** Receives what the hook prints. */
  print?: (line: string) => void;
}

export interface CallInput {
  /** The hook's input: the packet (xdp), the decrypted bytes (tls) or the request (sock). */
  input: Uint8Array;
  /** xdp: the optional argument data. */
  arg?: Uint8Array;
  /** Which per-CPU state runs the call; default 0. */
  cpu?: number;
  /** Calls this global function instead of the entry, with the input as the entry gets it (test-run's `fn`). */
  fn?: string;
}

/**
 * What the kernel does with one call. When the hook failed, `error` says why and the rest is what the kernel
 * does instead: traffic passes untouched.
 */
export type CallOutcome = { error?: HookError } & (
  | { kind: "xdp"; action: number; packet: Uint8Array; redirect?: number }
  | { kind: "tls"; code: number; file?: string }
  | { kind: "sock"; accept: boolean }
  /** A call of another function (`fn`): its first result, strings as latin1; nothing passes through on error. */
  | { kind: "call"; value: string | number | bigint | boolean | null }
);

export interface LoadedScript {
  readonly name: string;
  readonly target: Target | "module";
  /** The script's shared `rcu` table, as user space reads and writes it. */
  readonly rcu: { get(key: RcuKey): RcuValue | undefined; set(key: RcuKey, value: RcuValue | undefined): void };
  /** Lines the hook printed (the emulator keeps them; the kernel logs them). */
  readonly logs: string[];
  /** The local engine's states; undefined in the kernel. */
  readonly engine: Engine | undefined;
  run(call: CallInput): CallOutcome;
  /** Calls any global function of the chunk (the local engine only). */
  call(fn: string, args: readonly LuaValue[], nresults: number, cpu?: number): LuaValue[];
  unload(): void;
}

export interface Backend {
  readonly name: "emulator" | "kernel";
  load(spec: ScriptSpec): LoadedScript;
}

/** What a hook that raised lets through: the input as it came. */
export function passThrough(target: Target, input: Uint8Array): CallOutcome {
  if (target === "xdp") return { kind: "xdp", action: 2, packet: input };
  return target === "tls" ? { kind: "tls", code: 0 } : { kind: "sock", accept: true };
}
