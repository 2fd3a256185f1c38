/**
 * The commands that talk to the kernel module through /dev/kscript: deploy (--xdp), detach, ls, stats, unload, rcu. Each
 * failure is one line saying what to do (module not loaded, not root, name taken, script refused …).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { isTarget, type Limits, type Target } from "../common/dialect.js";
import { UsageError, diagnostic } from "../common/diagnostics.js";
import * as kernel from "../device/index.js";
import { KscriptError } from "../device/index.js";
import { packageRoot } from "../common/paths.js";
import { PackageError, readPackage, type HookPackage } from "../compiler/manifest.js";

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
  /** Also run the script for packets arriving on this interface (XDP, generic mode). */
  xdp?: string;
  /** The XDP program (kmod/bpf/kscript_xdp.bpf.c built with clang -target bpf); default: built on demand. */
  obj?: string;
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
  if (options.obj !== undefined && options.xdp === undefined) {
    throw new UsageError(diagnostic("KS4001", ["--obj is the XDP program for --xdp IFACE; give the interface too."]));
  }
  if (options.xdp !== undefined && target !== "xdp") {
    throw new UsageError(diagnostic("KS4001", [`--xdp runs xdp hooks; '${pkg.manifest.name}' is a ${target} hook.`]));
  }
  const obj = options.xdp === undefined ? undefined : xdpObject(options.obj);
  withDevice((fd) => {
    const { instructions, memory, time } = pkg.manifest.limits;
    kernel.load(fd, { name, target, entry: pkg.manifest.entry ?? undefined, script: pkg.lua, limits: { instructions, memory, time } });
    if (options.xdp === undefined || obj === undefined) return;
    try {
      kernel.xdpAttach(fd, name, options.xdp);
      try {
        ip(["link", "set", "dev", options.xdp, "xdpgeneric", "obj", obj, "sec", "xdp"]);
      } catch (error) {
        kernel.xdpDetach(fd, options.xdp);
        throw error;
      }
    } catch (error) {
      kernel.unload(fd, name);
      throw error;
    }
  });
  const where = options.xdp === undefined ? "" : `, on ${options.xdp} (xdpgeneric)`;
  return `deployed '${name}' (${target}, ${Buffer.byteLength(pkg.lua)} bytes${where})`;
}

/**
 * `kscript detach IFACE`: takes the XDP program off the interface and unloads the script deploy --xdp
 * loaded for it, so the interface forwards as it did before.
 */
export function detach(ifname: string): string {
  const name = withDevice((fd) => {
    const detached = kernel.xdpDetach(fd, ifname);
    ip(["link", "set", "dev", ifname, "xdpgeneric", "off"]);
    try {
      kernel.unload(fd, detached);
    } catch (error) {
      // Already unloaded by name while attached: the attachment held it until now.
      if (!(error instanceof KscriptError && error.code === "ENOENT")) throw error;
    }
    return detached;
  });
  return `detached '${name}' from ${ifname} and unloaded it`;
}

const BPF_SOURCE = path.join(packageRoot, "kmod", "bpf", "kscript_xdp.bpf.c");

/**
 * The XDP program's object: --obj, else $KSCRIPT_XDP_OBJ, else the source built with clang into a cache
 * under the temporary folder, keyed by the source's hash.
 */
function xdpObject(given: string | undefined): string {
  const file = given ?? (process.env.KSCRIPT_XDP_OBJ || undefined);
  if (file !== undefined) {
    if (!fs.existsSync(file)) throw new KscriptError(`no XDP object at ${file}`, "ENOENT");
    return path.resolve(file);
  }
  const source = fs.readFileSync(BPF_SOURCE);
  const hash = createHash("sha256").update(source).digest("hex").slice(0, 16);
  const obj = path.join(os.tmpdir(), `kscript-xdp-${hash}.o`);
  if (fs.existsSync(obj)) return obj;
  const r = spawnSync("clang", ["-O2", "-g", "-target", "bpf", "-I/usr/include/x86_64-linux-gnu", "-c", BPF_SOURCE, "-o", `${obj}.tmp`], {
    encoding: "utf8",
  });
  if (r.error || r.status !== 0) {
    throw new KscriptError(`cannot build the XDP program (needs clang and libbpf-dev, or --obj FILE): ${r.error?.message ?? r.stderr.trim()}`, "ENOEXEC");
  }
  fs.renameSync(`${obj}.tmp`, obj);
  return obj;
}

/** Runs iproute2's ip; its own message on failure. */
function ip(args: string[]): void {
  // sbin folders: the guest of `kscript vm` and sudo may leave them out of PATH.
  const PATH = [process.env.PATH, "/usr/sbin", "/usr/bin", "/sbin", "/bin"].filter(Boolean).join(":");
  const r = spawnSync("ip", args, { encoding: "utf8", env: { ...process.env, PATH } });
  if (r.error) throw new KscriptError(`cannot run ip (iproute2): ${r.error.message}`, "ENOENT");
  if (r.status !== 0) throw new KscriptError(`ip ${args.join(" ")}: ${r.stderr.trim() || `exit ${r.status}`}`, "EIO");
}

export function unload(name: string): string {
  withDevice((fd) => kernel.unload(fd, name));
  return `unloaded '${name}'`;
}

export function ls(): string {
  const scripts = withDevice((fd) => kernel.list(fd));
  if (scripts.length === 0) return "no scripts loaded";
  const rows = [
    ["NAME", "TARGET", "ENTRY", "SIZE", ...LIMIT_HEADINGS, "XDP ON"],
    ...scripts.map((s) => [s.name, s.target, s.entry, String(s.size), ...limitCells(s.limits), s.interfaces.join(",") || "-"]),
  ];
  return table(rows);
}

export function stats(name: string | undefined): string {
  return withDevice((fd) => {
    const names = name ? [name] : kernel.list(fd).map((s) => s.name);
    if (names.length === 0) return "no scripts loaded";
    const rows = [["NAME", "CALLS", "ERRORS", "BUDGET", "MEMORY-CAP", "STATES", "BYTES", ...LIMIT_HEADINGS, "LAST ERROR"]];
    for (const n of names) {
      const s = kernel.stats(fd, n);
      rows.push([
        n,
        String(s.calls),
        String(s.errors),
        String(s.budgetHits),
        String(s.memoryHits),
        String(s.states),
        String(s.memory),
        ...limitCells(s.limits),
        s.lastError ?? "-",
      ]);
    }
    return table(rows);
  });
}

/**
 * `kscript rcu get NAME KEY` / `set NAME KEY VALUE` / `del NAME KEY`: the rcu table of the loaded script NAME
 * (integers are sent as integers, everything else as strings). With `hex`, KEY and VALUE are strings of bytes
 * written in hex, and `get` prints the value's bytes so.
 */
export function rcu(args: readonly string[], hex = false): string {
  const [op, name, key, value, ...extra] = args;
  const parse = (s: string): bigint | string | Uint8Array => {
    if (!hex) return /^-?\d+$/.test(s) ? BigInt(s) : s;
    if (!/^([0-9a-fA-F]{2})+$/.test(s)) {
      throw new UsageError(diagnostic("KS4001", [`'${s}' is not bytes in hex: with --hex, write each byte as two hex digits, e.g. 076578616d706c65.`]));
    }
    return Buffer.from(s, "hex");
  };
  if (op === "get" && name !== undefined && key !== undefined && value === undefined) {
    const k = parse(key);
    const v = withDevice((fd) => kernel.rcuGet(fd, name, k));
    if (v === null) return "nil";
    if (v instanceof Uint8Array) return Buffer.from(v).toString(hex ? "hex" : "utf8");
    return String(v);
  }
  if (op === "set" && name !== undefined && key !== undefined && value !== undefined && extra.length === 0) {
    const k = parse(key);
    const v = parse(value);
    withDevice((fd) => kernel.rcuSet(fd, name, k, v));
    return `${name}: rcu[${key}] = ${value}`;
  }
  if (op === "del" && name !== undefined && key !== undefined && value === undefined) {
    const k = parse(key);
    withDevice((fd) => kernel.rcuSet(fd, name, k, null));
    return `${name}: rcu[${key}] = nil`;
  }
  throw new UsageError(
    diagnostic("KS4001", ["usage: kscript rcu get NAME KEY | rcu set NAME KEY VALUE | rcu del NAME KEY [--hex]. Run 'kscript --help' for usage."]),
  );
}

/** Each script's limits as the module applies them: instructions and wall time per call, memory per state. */
const LIMIT_HEADINGS = ["INSNS", "MEM-LIMIT", "TIME-MS"];

function limitCells(l: Limits): string[] {
  return [String(l.instructions), String(l.memory), String(l.time)];
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join("  ")).join("\n");
}
