/**
 * The commands that talk to the kernel module through /dev/kscript: deploy, ls, stats, unload, rcu. Each
 * failure is one line saying what to do (module not loaded, not root, name taken, script refused …).
 */
import { isTarget, type Target } from "./dialect.js";
import { UsageError, diagnostic } from "./diagnostics.js";
import * as kernel from "./kernel/index.js";
import { PackageError, readPackage, type HookPackage } from "./package.js";

function withDevice<T>(action: (fd: number) => T): T {
  const fd = kernel.openDevice();
  try {
    return action(fd);
  } finally {
    kernel.closeDevice(fd);
  }
}

export interface DeployOptions {
  name?: string;
  target?: string;
}

export function deploy(packageArg: string, options: DeployOptions): string {
  let pkg: HookPackage;
  try {
    pkg = readPackage(packageArg);
  } catch (error) {
    if (error instanceof PackageError) throw new UsageError(diagnostic("KS4003", [error.message]));
    throw error;
  }
  const wanted = options.target ?? pkg.manifest.target;
  if (!isTarget(wanted)) throw new UsageError(diagnostic("KS4004", [wanted]));
  if (pkg.manifest.target !== "module" && wanted !== pkg.manifest.target) {
    throw new UsageError(
      diagnostic("KS4001", [`'${pkg.manifest.name}' was built and checked for '${pkg.manifest.target}' hooks, not '${wanted}'; change its target in kscript.json and rebuild.`]),
    );
  }
  const target: Target = wanted;
  const name = options.name ?? pkg.manifest.name;
  withDevice((fd) => kernel.load(fd, { name, target, entry: pkg.manifest.entry ?? undefined, script: pkg.lua }));
  return `deployed '${name}' (${target}, ${Buffer.byteLength(pkg.lua)} bytes)`;
}

export function unload(name: string): string {
  withDevice((fd) => kernel.unload(fd, name));
  return `unloaded '${name}'`;
}

export function ls(): string {
  const scripts = withDevice((fd) => kernel.list(fd));
  if (scripts.length === 0) return "no scripts loaded";
  const rows = [["NAME", "TARGET", "ENTRY", "SIZE"], ...scripts.map((s) => [s.name, s.target, s.entry, String(s.size)])];
  return table(rows);
}

export function stats(name: string | undefined): string {
  return withDevice((fd) => {
    const names = name ? [name] : kernel.list(fd).map((s) => s.name);
    if (names.length === 0) return "no scripts loaded";
    const rows = [["NAME", "CALLS", "ERRORS", "BUDGET", "MEMORY-CAP", "STATES", "BYTES", "LAST ERROR"]];
    for (const n of names) {
      const s = kernel.stats(fd, n);
      rows.push([n, String(s.calls), String(s.errors), String(s.budgetHits), String(s.memoryHits), String(s.states), String(s.memory), s.lastError ?? "-"]);
    }
    return table(rows);
  });
}

/**
 * `kscript rcu get NAME KEY` / `set NAME KEY VALUE` / `del NAME KEY`: the rcu table of the loaded script NAME
 * (integers are sent as integers, everything else as strings).
 */
export function rcu(args: readonly string[]): string {
  const [op, name, key, value, ...extra] = args;
  const parse = (s: string) => (/^-?\d+$/.test(s) ? BigInt(s) : s);
  if (op === "get" && name !== undefined && key !== undefined && value === undefined) {
    const v = withDevice((fd) => kernel.rcuGet(fd, name, parse(key)));
    return v === null ? "nil" : v instanceof Uint8Array ? Buffer.from(v).toString("utf8") : String(v);
  }
  if (op === "set" && name !== undefined && key !== undefined && value !== undefined && extra.length === 0) {
    withDevice((fd) => kernel.rcuSet(fd, name, parse(key), parse(value)));
    return `${name}: rcu[${key}] = ${value}`;
  }
  if (op === "del" && name !== undefined && key !== undefined && value === undefined) {
    withDevice((fd) => kernel.rcuSet(fd, name, parse(key), null));
    return `${name}: rcu[${key}] = nil`;
  }
  throw new UsageError(
    diagnostic("KS4001", ["usage: kscript rcu get NAME KEY | rcu set NAME KEY VALUE | rcu del NAME KEY. Run 'kscript --help' for usage."]),
  );
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join("  ")).join("\n");
}
