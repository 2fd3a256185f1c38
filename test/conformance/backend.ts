/**
 * The conformance contract: a case is a Lua script, a target and inputs; a runtime backend (the emulator in
 * the fast suite, kscript.ko through /dev/kscript's test-run request in the VM) runs it and reports what
 * happened. Inputs and results are plain data (hex strings for bytes) so they cross to a VM unchanged.
 */
import type { Target } from "../../common/dialect.js";
import type { Backend, CallOutcome } from "../../runtime/backends/index.js";
import type { RcuValue } from "../../runtime/bindings/context.js";

/** One call into the hook's entry (or, with `fn`, into another global function of the script). */
export interface CallInput {
  /** Call this global function instead of the entry, with the input as the entry gets it; see `value`. */
  fn?: string;
  /** Per-CPU state (xdp) or connection (tls, sock: each has a state of its own) to run on; default 0. */
  cpu?: number;
  /** xdp: the frame, hex. */
  packet?: string;
  /** xdp: the optional argument data, hex. */
  arg?: string;
  /** tls: the decrypted bytes of one recv (latin1: one char per byte). */
  msg?: string;
  /** sock: the request bytes (latin1). */
  buf?: string;
}

export interface CaseInput {
  /** Number of per-CPU states to load the script into; default 1. */
  cpus?: number;
  /** Entries put in the shared rcu table before the first call (as user space would). */
  rcu?: Record<string, string | number | boolean>;
  calls: CallInput[];
  /** rcu keys to read back after the last call. */
  readRcu?: string[];
}

export interface CallResult {
  /** xdp: the returned action. */
  action?: number;
  /** xdp: the packet after the call, hex. */
  packet?: string;
  /** xdp: the ifindex chosen with xdp.redirect. */
  redirect?: number;
  /** tls: the returned code and file. */
  code?: number;
  file?: string;
  /** sock: whether the request is let through. */
  verdict?: boolean;
  /** A `fn` call: its first result (strings latin1). */
  value?: string | number | boolean | null;
  /** The Lua error message, when the call raised one (the kernel then passes the traffic). */
  error?: string;
}

export interface CaseResult {
  calls: CallResult[];
  rcu?: Record<string, RcuValue | null>;
}

/** What a call must produce: the listed fields only; `error` is a substring of the message. */
export type CallExpectation = Partial<CallResult>;

export interface ConformanceCase {
  name: string;
  target: Target;
  script: string;
  input: CaseInput;
  expect: { calls: CallExpectation[]; rcu?: CaseResult["rcu"] };
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
export const unhex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "hex"));

const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

function callResult(outcome: CallOutcome): CallResult {
  const error = outcome.error ? { error: outcome.error.luaMessage } : {};
  switch (outcome.kind) {
    case "xdp":
      return { action: outcome.action, packet: hex(outcome.packet), ...(outcome.redirect !== undefined ? { redirect: outcome.redirect } : {}), ...error };
    case "tls":
      return { code: outcome.code, ...(outcome.file !== undefined ? { file: outcome.file } : {}), ...error };
    case "sock":
      return { verdict: outcome.accept, ...error };
    case "call": {
      const v = outcome.value;
      return outcome.error ? error : { value: typeof v === "bigint" ? Number(v) : v };
    }
  }
}

/** Runs one case on a backend: load, fill rcu as user space would, call, read rcu back, unload. */
export function runCase(backend: Backend, c: Pick<ConformanceCase, "script" | "target" | "input">): CaseResult {
  const { input, target } = c;
  const script = backend.load({ name: "case", target, lua: c.script, cpus: input.cpus });
  try {
    for (const [key, value] of Object.entries(input.rcu ?? {})) script.rcu.set(key, value);
    const calls = input.calls.map((call) => {
      const bytes = target === "xdp" ? unhex(call.packet ?? "") : latin1((target === "tls" ? call.msg : call.buf) ?? "");
      return callResult(script.run({ input: bytes, arg: call.arg !== undefined ? unhex(call.arg) : undefined, cpu: call.cpu, fn: call.fn }));
    });
    const result: CaseResult = { calls };
    if (input.readRcu) result.rcu = Object.fromEntries(input.readRcu.map((k) => [k, script.rcu.get(k) ?? null]));
    return result;
  } finally {
    script.unload();
  }
}
