/**
 * The conformance contract: a case is a Lua script, a target and inputs; a backend runs it and reports what
 * the kernel (or the emulator) did. The same case files drive every backend: the emulator here, the kernel
 * module through /dev/kscript's test-run request later. Inputs and results are plain data (hex strings
 * for bytes) so they cross to a VM unchanged.
 */
import type { Target } from "../../common/dialect.js";

/** One call into the hook's entry (or, with `fn`, into another global function of the script). */
export interface CallInput {
  /** Call this global function instead of the entry, with the input as the entry gets it; see `value`. */
  fn?: string;
  /** Per-CPU state to run on (XDP); default 0. */
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
  rcu?: Record<string, string | number | boolean | null>;
}

export interface Backend {
  readonly name: string;
  run(script: string, target: Target, input: CaseInput): Promise<CaseResult>;
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
