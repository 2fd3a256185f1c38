/**
 * The test API (`kscript/testing`): load a hook — its TypeScript, built on the fly, or a package on disk —
 * into the local engine and drive it with bytes. A Lua error, a budget/memory/stack overrun or a 64-bit
 * divergence throws a HookError whose message starts with the TypeScript file and line.
 */
import fs from "node:fs";
import path from "node:path";
import { buildEntry } from "../compiler/build.js";
import { TARGET_ENTRY, isTarget, type Target } from "../common/dialect.js";
import { formatDiagnostic } from "../common/diagnostics.js";
import { readPackage, type HookPackage, type Manifest } from "../compiler/package.js";
import { originalPosition, type SourceMapV3 } from "../compiler/sourcemap.js";
import { DataRef, ByteBuffer } from "./bindings/data.js";
import { actionName, type XdpActionName } from "./bindings/xdp.js";
import { Engine, type Limits } from "./engine.js";
import { instantiateInKernel, kernelBackendSelected } from "./backends/kernel.js";
import type { RcuKey, RcuValue } from "./bindings/rcu.js";
import type { LuaValue } from "./values.js";

export { HookError, type Limits, type ErrorKind } from "./engine.js";
export * from "./packets.js";
export { readPcap, LINKTYPE_ETHERNET, type PcapFile, type PcapPacket } from "./pcap.js";
export type { LuaValue } from "./values.js";

/** Set by `kscript test`: relative hook paths given to `loadHook` start at the project folder. */
export const PROJECT_ROOT_ENV = "KSCRIPT_PROJECT_ROOT";

export interface LoadOptions {
  /** The hook kind; for a .ts entry it is otherwise inferred from the exported entry function. */
  target?: Target | "module";
  /** Lua states to create (XDP runs one per CPU); default 1. */
  cpus?: number;
  /** Override the package's limits (instructions per call, memory bytes, and in the kernel time ms). */
  limits?: Partial<Limits>;
  /** Build minified (default true: the chunk that ships, size budget included; the map keeps TS lines exact). */
  minify?: boolean;
  /** Also receive what the hook prints (it is always kept in `hook.logs`). */
  print?: (line: string) => void;
}

export interface RunOptions {
  /** Which per-CPU state runs the call; default 0. */
  cpu?: number;
}

export interface XdpResult {
  action: number;
  /** The action's name (`pass`, `drop`, `tx`, `redirect`, `aborted`), or undefined for a non-XDP number. */
  actionName: XdpActionName | undefined;
  /** The packet after the hook (it may have rewritten or resized it). */
  packet: Uint8Array;
  /** The ifindex given to `xdp.redirect`, when called. */
  redirect?: number;
}

export interface RecvResult {
  code: number;
  file: string | undefined;
}

export interface Hook {
  readonly name: string;
  readonly target: Target | "module";
  readonly manifest: Manifest;
  readonly lua: string;
  /** The local engine's states; undefined when the hook runs in the kernel (`kscript test --kernel`). */
  readonly engine: Engine | undefined;
  /** Lines the hook printed, all states together. */
  readonly logs: string[];
  /** The shared `rcu` table, to seed or inspect from the test. */
  readonly rcu: { get(key: RcuKey): RcuValue | undefined; set(key: RcuKey, value: RcuValue | undefined): void };
  runXdp(packet: Uint8Array, options?: RunOptions & { arg?: Uint8Array }): XdpResult;
  runRecv(msg: Uint8Array | string, options?: RunOptions): RecvResult;
  runProcess(buf: Uint8Array | string, options?: RunOptions): boolean;
  /** Calls any global function of the chunk (e.g. a module's helper set as a global). */
  call(fn: string, args: readonly LuaValue[], nresults?: number, options?: RunOptions): LuaValue[];
}

const toBytes = (b: Uint8Array | string): Uint8Array =>
  typeof b === "string" ? new TextEncoder().encode(b) : Uint8Array.from(b);

/** The target a TypeScript entry implements, from the entry function it exports. */
function inferTarget(entry: string): Target | "module" {
  const text = fs.readFileSync(entry, "utf8");
  for (const [target, fn] of Object.entries(TARGET_ENTRY)) {
    if (new RegExp(`export\\s+(async\\s+)?(function\\s+${fn}\\b|(const|let)\\s+${fn}\\b)`).test(text) && isTarget(target)) return target;
  }
  return "module";
}

/** Builds (for a .ts entry) or reads (for a package) a hook and loads it into fresh engine states. */
export async function loadHook(hookPath: string, options: LoadOptions = {}): Promise<Hook> {
  const file = path.resolve(process.env[PROJECT_ROOT_ENV] ?? process.cwd(), hookPath);
  let pkg: HookPackage;
  if (file.endsWith(".ts")) {
    const target = options.target ?? inferTarget(file);
    const built = await buildEntry(file, { target, minify: options.minify ?? true });
    if (!built.ok || !built.package) {
      const text = built.diagnostics.map((d) => formatDiagnostic(d, process.cwd())).join("\n");
      throw new Error(`kscript build of ${file} failed:\n${text}`);
    }
    pkg = built.package;
  } else {
    pkg = readPackage(file);
  }
  return kernelBackendSelected() ? instantiateInKernel(pkg, options, locator(pkg.map)) : instantiate(pkg, options);
}

function locator(map: SourceMapV3): (luaLine: number) => string | undefined {
  return (luaLine) => {
    const pos = originalPosition(map, luaLine);
    if (!pos) return undefined;
    return `${path.relative(process.cwd(), pos.source)}:${pos.line}`;
  };
}

function instantiate(pkg: HookPackage, options: LoadOptions): Hook {
  const target = options.target ?? pkg.manifest.target;
  const engine = new Engine(pkg.lua, {
    target,
    chunkName: `${pkg.name}.lua`,
    states: options.cpus ?? 1,
    limits: { instructions: pkg.manifest.limits?.instructions, memory: pkg.manifest.limits?.memory, ...options.limits },
    locate: locator(pkg.map),
    print: options.print,
  });
  const entry = (want: Target) => {
    if (target !== want) throw new Error(`${pkg.name} is a '${target}' hook, not '${want}'`);
    return TARGET_ENTRY[want];
  };
  return {
    name: pkg.name,
    target,
    manifest: pkg.manifest,
    lua: pkg.lua,
    engine,
    logs: engine.logs,
    rcu: engine.rcu,
    runXdp(packet, opts = {}) {
      const state = engine.state(opts.cpu);
      const pkt = new DataRef(new ByteBuffer(Uint8Array.from(packet)));
      const args: LuaValue[] = [pkt];
      if (opts.arg) args.push(new DataRef(new ByteBuffer(Uint8Array.from(opts.arg))));
      state.ctx.redirect = undefined;
      const [action] = state.call(entry("xdp"), args, 1);
      if (typeof action !== "number") throw new Error(`${pkg.name}: callback returned ${describe(action)}, not an xdp.action`);
      const result: XdpResult = { action, actionName: actionName(action), packet: pkt.buf.bytes.slice() };
      if (state.ctx.redirect !== undefined) result.redirect = state.ctx.redirect;
      return result;
    },
    runRecv(msg, opts = {}) {
      const [code, file] = engine.state(opts.cpu).call(entry("tls"), [toBytes(msg)], 2);
      if (typeof code !== "number") throw new Error(`${pkg.name}: recv returned ${describe(code)} as its code, not an integer`);
      if (file !== undefined && typeof file !== "string") throw new Error(`${pkg.name}: recv returned ${describe(file)} as its file`);
      return { code, file };
    },
    runProcess(buf, opts = {}) {
      const [verdict] = engine.state(opts.cpu).call(entry("sock"), [new DataRef(new ByteBuffer(toBytes(buf)))], 1);
      return verdict !== undefined && verdict !== false;
    },
    call(fn, args, nresults = 1, opts = {}) {
      return engine.state(opts.cpu).call(fn, args, nresults);
    },
  };
}

function describe(v: LuaValue): string {
  if (v === undefined) return "nil";
  if (typeof v === "object" && "type" in v) return `a ${v.type}`;
  return `${typeof v} ${String(v)}`;
}
