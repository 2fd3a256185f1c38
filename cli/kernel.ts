/**
 * The commands that load into the kernel module through /dev/kscript: deploy (--xdp) and detach (the others,
 * light to start, are in device.ts). Each failure is one line saying what to do (module not loaded, not root,
 * name taken, script refused …).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { isTarget, type Target } from "../common/dialect.js";
import { UsageError, diagnostic } from "../common/diagnostics.js";
import * as kernel from "../device/index.js";
import { KscriptError } from "../device/index.js";
import { packageRoot } from "../common/paths.js";
import { withDevice } from "./device.js";
import { PackageError, readPackage, type HookPackage } from "../compiler/manifest.js";

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
