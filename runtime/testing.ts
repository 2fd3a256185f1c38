/**
 * The test API (`kscript/testing`): load a hook — its TypeScript, built on the fly, or a package on disk —
 * into the local engine (or, under `kscript test --kernel`, kscript.ko) and drive it with bytes. A Lua error
 * or a budget/memory/stack overrun throws a HookError whose message starts with the TypeScript file and line.
 */
import fs from "node:fs";
import path from "node:path";
import { readCachedBuild, writeCachedBuild, type BuildRequest } from "../compiler/build-cache.js";
import { TARGET_ENTRY, isTarget, type Target } from "../common/dialect.js";
import { formatDiagnostic } from "../common/diagnostics.js";
import { readPackage, type HookPackage, type Manifest } from "../compiler/manifest.js";
import { originalPosition, type SourceMapV3 } from "../compiler/sourcemap.js";
import { actionName, type XdpActionName } from "./bindings/xdp.js";
import type { Engine, Limits } from "./engine.js";
import { selectedBackend, type CallInput, type CallOutcome, type LoadedScript } from "./backends/index.js";
import type { RcuKey, RcuValue } from "./bindings/context.js";
import { latin1Bytes, type LuaValue } from "./values.js";

export { HookError, type ErrorKind } from "./errors.js";
export type { Limits } from "./engine.js";
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
  /** The shared `rcu` table, to fill or inspect from the test. */
  readonly rcu: { get(key: RcuKey): RcuValue | undefined; set(key: RcuKey, value: RcuValue | undefined): void };
  runXdp(packet: Uint8Array, options?: RunOptions & { arg?: Uint8Array }): XdpResult;
  runRecv(msg: Uint8Array | string, options?: RunOptions): RecvResult;
  runProcess(buf: Uint8Array | string, options?: RunOptions): boolean;
  /** Calls any global function of the chunk (e.g. a module's helper set as a global). */
  call(fn: string, args: readonly LuaValue[], nresults?: number, options?: RunOptions): LuaValue[];
}

/** Inputs given as strings are byte strings, like the strings hooks return (latin1, one char per byte). */
const toBytes = (b: Uint8Array | string): Uint8Array => (typeof b === "string" ? latin1Bytes(b) : Uint8Array.from(b));

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
  const pkg = file.endsWith(".ts") ? await buildHook(file, { target: options.target, minify: options.minify }) : readPackage(file);
  return instantiate(pkg, options);
}

/**
 * A TypeScript hook built as `loadHook` builds it: from the build cache when its sources are unchanged (the
 * compiler is then never loaded), else by the compiler, the result kept for the next process. `cacheDir`:
 * the cache to use (default: kscript's cache folder, build-cache.ts).
 */
export async function buildHook(file: string, options: { target?: Target | "module"; minify?: boolean; cacheDir?: string } = {}): Promise<HookPackage> {
  const request: BuildRequest = { entry: path.resolve(file), target: options.target ?? inferTarget(file), minify: options.minify ?? true };
  const cached = readCachedBuild(request, options.cacheDir);
  if (cached) return cached;
  const { buildEntry } = await import("../compiler/build.js");
  const built = await buildEntry(request.entry, { target: request.target as Target | "module", minify: request.minify });
  if (!built.ok || !built.package) {
    const text = built.diagnostics.map((d) => formatDiagnostic(d, process.cwd())).join("\n");
    throw new Error(`kscript build of ${file} failed:\n${text}`);
  }
  writeCachedBuild(request, built.package, built.sources, options.cacheDir);
  return built.package;
}

function locator(map: SourceMapV3): (luaLine: number) => string | undefined {
  return (luaLine) => {
    const pos = originalPosition(map, luaLine);
    if (!pos) return undefined;
    return `${path.relative(process.cwd(), pos.source)}:${pos.line}`;
  };
}

/** Loads the package on the selected backend; a failed call throws its HookError, as the test expects. */
function instantiate(pkg: HookPackage, options: LoadOptions): Hook {
  const target = options.target ?? pkg.manifest.target;
  const script = selectedBackend().load({
    name: pkg.name,
    target,
    lua: pkg.lua,
    cpus: options.cpus,
    limits: { instructions: pkg.manifest.limits?.instructions, memory: pkg.manifest.limits?.memory, time: pkg.manifest.limits?.time, ...options.limits },
    locate: locator(pkg.map),
    print: options.print,
  });
  const run = <K extends CallOutcome["kind"]>(want: K, call: CallInput): Extract<CallOutcome, { kind: K }> => {
    if (target !== want) throw new Error(`${pkg.name} is a '${target}' hook, not '${want}'`);
    const outcome = script.run(call);
    if (outcome.error) throw outcome.error;
    return outcome as Extract<CallOutcome, { kind: K }>;
  };
  return {
    ...common(pkg, target, script),
    runXdp(packet, opts = {}) {
      const r = run("xdp", { input: packet, arg: opts.arg, cpu: opts.cpu });
      const result: XdpResult = { action: r.action, actionName: actionName(r.action), packet: r.packet };
      if (r.redirect !== undefined) result.redirect = r.redirect;
      return result;
    },
    runRecv(msg, opts = {}) {
      const r = run("tls", { input: toBytes(msg), cpu: opts.cpu });
      return { code: r.code, file: r.file };
    },
    runProcess(buf, opts = {}) {
      return run("sock", { input: toBytes(buf), cpu: opts.cpu }).accept;
    },
  };
}

/** What every hook has, whatever its target. */
function common(pkg: HookPackage, target: Target | "module", script: LoadedScript) {
  return {
    name: pkg.name,
    target,
    manifest: pkg.manifest,
    lua: pkg.lua,
    engine: script.engine,
    logs: script.logs,
    rcu: script.rcu,
    call: (fn: string, args: readonly LuaValue[], nresults = 1, opts: RunOptions = {}) => script.call(fn, args, nresults, opts.cpu),
  };
}
