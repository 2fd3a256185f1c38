/**
 * The Node client of /dev/kscript: plain fs reads and writes on the device, no native addon.
 * Each function takes an fd from `openDevice()` and performs one request.
 */
import { closeSync, openSync, readSync, writeSync } from "node:fs";
import { constants } from "node:os";
import { RCU_LIMITS, TARGET_ENTRY, type Limits, type Target } from "../common/dialect.js";
import {
  type DecodedValue,
  HEADER_SIZE,
  Op,
  type OpCode,
  REQUEST_MAX,
  type WireValue,
  decodeReply,
  encodeRequest,
  replyLength,
} from "./protocol.js";

export const DEVICE_PATH = "/dev/kscript";

const NOT_LOADED = "kscript module not loaded: kscript module load loads it (kscript doctor: what this machine lacks), or try hooks in kscript vm";
const NEEDS_ROOT = "needs root (CAP_SYS_ADMIN)";

/** Why a request failed; `code` is the errno name (EEXIST: name taken, ENOEXEC: Lua refused the script, …). */
export class KscriptError extends Error {
  override name = "KscriptError";
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

const errnoNames = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));

function errnoName(status: number): string {
  return errnoNames.get(-status) ?? `errno ${-status}`;
}

function systemCode(err: unknown): string | undefined {
  return err instanceof Error && "code" in err && typeof err.code === "string" ? err.code : undefined;
}

export function openDevice(path: string = DEVICE_PATH): number {
  try {
    return openSync(path, "r+");
  } catch (err) {
    const code = systemCode(err);
    if (code === "ENOENT") throw new KscriptError(NOT_LOADED, code);
    if (code === "EACCES" || code === "EPERM") throw new KscriptError(`${path} ${NEEDS_ROOT}`, code);
    throw err;
  }
}

export function closeDevice(fd: number): void {
  closeSync(fd);
}

export function text(value: DecodedValue): string {
  if (!(value instanceof Uint8Array)) throw new KscriptError(`expected a string in the reply, got ${String(value)}`, "EPROTO");
  return Buffer.from(value).toString("utf8");
}

function int(value: DecodedValue): number {
  if (typeof value !== "number") throw new KscriptError(`expected an integer in the reply, got ${String(value)}`, "EPROTO");
  return value;
}

function readExactly(fd: number, n: number): Buffer {
  const buf = Buffer.alloc(n);
  let got = 0;
  while (got < n) {
    const r = readSync(fd, buf, got, n - got, null);
    if (r === 0) throw new KscriptError(`short reply from ${DEVICE_PATH}: ${got} of ${n} bytes`, "EPROTO");
    got += r;
  }
  return buf;
}

/** One request/reply round trip; throws KscriptError for a non-zero status. */
export function request(fd: number, op: OpCode, values: readonly WireValue[]): DecodedValue[] {
  const req = encodeRequest(op, values);
  if (req.byteLength - HEADER_SIZE > REQUEST_MAX) {
    throw new KscriptError(
      `request too large: ${req.byteLength - HEADER_SIZE} bytes; /dev/kscript takes at most ${REQUEST_MAX}`,
      "EMSGSIZE",
    );
  }
  try {
    const n = writeSync(fd, req);
    if (n !== req.byteLength) throw new KscriptError(`short write to ${DEVICE_PATH}: ${n} of ${req.byteLength}`, "EIO");
  } catch (err) {
    const code = systemCode(err);
    if (code === "EMSGSIZE") throw new KscriptError(`request too large for ${DEVICE_PATH}`, code);
    throw err;
  }
  const header = readExactly(fd, HEADER_SIZE);
  const payload = readExactly(fd, replyLength(header));
  const reply = decodeReply(Buffer.concat([header, payload]));
  if (reply.status !== 0) {
    const detail = reply.values.length > 0 && reply.values[0] instanceof Uint8Array ? text(reply.values[0]) : "";
    throw new KscriptError(detail || errnoName(reply.status), errnoName(reply.status));
  }
  return reply.values;
}

export interface LoadOptions {
  name: string;
  target: Target;
  /** Defaults to the target's entry (recv, process, callback). */
  entry?: string;
  /** The script's Lua text (never bytecode: the module loads text only). */
  script: string | Uint8Array;
  /**
   * What each call may spend; a limit left out gets the dialect's default. The module refuses (EINVAL) a
   * limit above its ceilings (its parameters insn_limit, mem_limit, time_limit_ms; for xdp, the dialect's).
   */
  limits?: Partial<Limits>;
}

export function load(fd: number, opts: LoadOptions): void {
  const entry = opts.entry ?? TARGET_ENTRY[opts.target];
  const { instructions, memory, time } = opts.limits ?? {};
  try {
    request(fd, Op.load, [opts.name, opts.target, entry, opts.script, instructions ?? null, memory ?? null, time ?? null]);
  } catch (err) {
    if (err instanceof KscriptError && err.code === "ENOEXEC") {
      throw new KscriptError(`load of '${opts.name}' failed: ${err.message}`, err.code);
    }
    throw err;
  }
}

export function unload(fd: number, name: string): void {
  aboutScript(name, () => request(fd, Op.unload, [name]));
}

export interface ScriptInfo {
  name: string;
  target: Target;
  entry: string;
  /** Script text size in bytes. */
  size: number;
  /** What each call may spend, as the module applies them. */
  limits: Limits;
  /** Interfaces of the caller's network namespace whose XDP hook runs it (`kscript deploy --xdp`). */
  interfaces: string[];
}

export function list(fd: number): ScriptInfo[] {
  const v = request(fd, Op.list, []);
  const scripts: ScriptInfo[] = [];
  for (let i = 0; i + 7 < v.length; i += 8) {
    scripts.push({
      name: text(v[i]!),
      target: text(v[i + 1]!) as Target,
      entry: text(v[i + 2]!),
      size: int(v[i + 3]!),
      limits: limitsOf(v.slice(i + 4, i + 7)),
      interfaces: text(v[i + 7]!).split(" ").filter((n) => n !== ""),
    });
  }
  return scripts;
}

export interface ScriptStats {
  calls: number;
  errors: number;
  budgetHits: number;
  memoryHits: number;
  /** The last error's message, as Lua put it ("name:line: …"). */
  lastError: string | null;
  /** Its line, 0 when the message has none. */
  lastErrorLine: number;
  /** Bytes held by the script's Lua states. */
  memory: number;
  /** Lua states: one per CPU for xdp, else one. */
  states: number;
  /** What each call may spend. */
  limits: Limits;
}

function limitsOf(v: readonly DecodedValue[]): Limits {
  return { instructions: int(v[0]!), memory: int(v[1]!), time: int(v[2]!) };
}

export function stats(fd: number, name: string): ScriptStats {
  const v = aboutScript(name, () => request(fd, Op.stats, [name]));
  return {
    calls: int(v[0]!),
    errors: int(v[1]!),
    budgetHits: int(v[2]!),
    memoryHits: int(v[3]!),
    lastError: v[4] === null ? null : text(v[4]!),
    lastErrorLine: int(v[5]!),
    memory: int(v[6]!),
    states: int(v[7]!),
    limits: limitsOf(v.slice(8, 11)),
  };
}

/**
 * rcu keys: integers or short byte strings; values: integers, booleans or byte strings (the bounds are
 * common/dialect.ts RCU_LIMITS; stdlib/rcu.d.ts). A JS string is sent as UTF-8; strings come back as bytes.
 */
export type RcuKey = number | bigint | string | Uint8Array;
export type RcuValue = number | bigint | boolean | Uint8Array | null;

/** Reads a key of a loaded script's rcu table (xdp scripts have one each). */
export function rcuGet(fd: number, name: string, key: RcuKey): RcuValue {
  const v = aboutScript(name, () => request(fd, Op.rcuGet, [name, key]))[0];
  if (v === undefined) throw new KscriptError("no rcu value in the reply", "EPROTO");
  return v;
}

/** Sets a key of a loaded script's rcu table; `null` deletes it. */
export function rcuSet(fd: number, name: string, key: RcuKey, value: number | bigint | boolean | string | Uint8Array | null): void {
  try {
    aboutScript(name, () => request(fd, Op.rcuSet, [name, key, value]));
  } catch (err) {
    if (err instanceof KscriptError && err.code === "ENOSPC") throw new KscriptError(`the rcu table of '${name}' is full (${RCU_LIMITS.entries} entries)`, err.code);
    throw err;
  }
}

/** A request about one script: ENOENT means no script has that name. */
function aboutScript<T>(name: string, send: () => T): T {
  try {
    return send();
  } catch (err) {
    if (err instanceof KscriptError && err.code === "ENOENT") throw new KscriptError(`no script named '${name}' is loaded`, err.code);
    throw err;
  }
}

interface RunCommon {
  /** false: the script raised an error and the hook would pass traffic through (the fields say how). */
  ok: boolean;
  error: string | null;
  /** For a failed call: the Lua lines of its innermost frames, innermost first (for the TypeScript location). */
  errorLines: number[];
}

/**
 * What a test-run returned. For a target entry the results are read as the hook would read them. The input
 * reaches Lua as the hook gets it: a string for tls, a data object for xdp and sock; `packet` is the xdp
 * packet as the script left it, `redirect` the ifindex given to `xdp.redirect` (or null).
 */
export type RunResult =
  | (RunCommon & { kind: "xdp"; action: number; packet: Uint8Array; redirect: number | null })
  | (RunCommon & { kind: "tls"; code: number; file: string | null })
  | (RunCommon & { kind: "sock"; accept: boolean })
  | (RunCommon & { kind: "call"; values: DecodedValue[] });

export interface RunOptions {
  /** Call this global function instead of the script's entry; results come back as `values`. */
  fn?: string;
  /** xdp's optional argument data (second parameter of callback). */
  arg?: string | Uint8Array;
}

/**
 * A test-run's reply: ok; for a failure its message and its frames' Lua lines (blank-separated), else two
 * nils; the result kind and the results (for a failure, what the hook does instead).
 */
export function testRun(fd: number, name: string, input: string | Uint8Array, opts: RunOptions = {}): RunResult {
  const values: WireValue[] = [name, opts.fn ?? "", input];
  if (opts.arg !== undefined) values.push(opts.arg);
  const v = aboutScript(name, () => request(fd, Op.run, values));
  const ok = v[0] === true;
  const common: RunCommon = ok
    ? { ok, error: null, errorLines: [] }
    : { ok, error: text(v[1]!), errorLines: text(v[2]!).split(" ").filter(Boolean).map(Number) };
  const r = v.slice(3);
  const kind = text(r[0]!);
  switch (kind) {
    case "xdp": {
      const packet = r[2];
      if (!(packet instanceof Uint8Array)) throw new KscriptError("xdp result without packet bytes", "EPROTO");
      return { ...common, kind, action: int(r[1]!), packet, redirect: r[3] === null ? null : int(r[3]!) };
    }
    case "tls":
      return { ...common, kind, code: int(r[1]!), file: r[2] === null ? null : text(r[2]!) };
    case "sock":
      return { ...common, kind, accept: r[1] === true };
    case "call":
      return { ...common, kind, values: r.slice(1) };
    default:
      throw new KscriptError(`unknown run result kind '${kind}'`, "EPROTO");
  }
}

/**
 * Runs the loaded xdp script `name` for packets arriving on interface `ifname` (in the caller's network
 * namespace) once the XDP program (kmod/bpf/kscript_xdp.bpf.c) is on that interface. ENODEV: no such
 * interface; EBUSY: it already runs a script; EINVAL: not an xdp script.
 */
export function xdpAttach(fd: number, name: string, ifname: string): void {
  aboutScript(name, () => request(fd, Op.xdpAttach, [name, ifname]));
}

/** Stops running a script for `ifname`; returns the script's name. ENOENT: none was attached. */
export function xdpDetach(fd: number, ifname: string): string {
  return text(request(fd, Op.xdpDetach, [ifname])[0]);
}
