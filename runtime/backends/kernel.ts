/**
 * `loadHook` on the kernel backend (`kscript test --kernel` sets KSCRIPT_BACKEND=kernel inside the VM): the
 * package is loaded into kscript.ko through /dev/kscript and every run is a test-run request, so the same test
 * file that passed in the emulator now runs against the real module. A Lua error in the hook still fails the
 * test at its TypeScript line.
 */
import { closeDevice, load, openDevice, rcuGet, rcuSet, testRun, unload, type RcuValue as WireRcuValue } from "../../device/client.js";
import type { Target } from "../../common/dialect.js";
import type { HookPackage } from "../../compiler/package.js";
import { hookError } from "../engine.js";
import { actionName } from "../bindings/xdp.js";
import type { RcuKey, RcuValue } from "../bindings/rcu.js";
import type { Hook, LoadOptions } from "../testing.js";

export const BACKEND_ENV = "KSCRIPT_BACKEND";

export function kernelBackendSelected(): boolean {
  return process.env[BACKEND_ENV] === "kernel";
}

let device: number | undefined;
const loaded = new Set<string>();

function fd(): number {
  if (device === undefined) {
    device = openDevice();
    // Scripts a test file loaded go when it ends, so the next file starts from a clean registry.
    process.once("exit", () => {
      for (const name of loaded) unload(device!, name);
      closeDevice(device!);
    });
  }
  return device;
}

const fromWire = (v: WireRcuValue): RcuValue | undefined => {
  if (v === null) return undefined;
  if (v instanceof Uint8Array) return Buffer.from(v).toString("latin1");
  return typeof v === "bigint" ? Number(v) : v;
};

export function instantiateInKernel(pkg: HookPackage, options: LoadOptions, locate: (luaLine: number) => string | undefined): Hook {
  const target = options.target ?? pkg.manifest.target;
  if (target === "module") throw new Error(`${pkg.name} is a plain module: only hooks (xdp, tls, sock) can run in the kernel`);
  const name = `${pkg.name}-${process.pid}-${loaded.size}`;
  // The package's limits (old manifests may lack some: the module's defaults then), as the emulator applies them.
  const { instructions, memory, time } = { ...pkg.manifest.limits, ...options.limits };
  load(fd(), { name, target, script: pkg.lua, limits: { instructions, memory, time } });
  loaded.add(name);

  const fail = (message: string | null): never => {
    const text = message ?? "error";
    const kind = /budget|time limit/.test(text) ? "budget" : /not enough memory/.test(text) ? "memory" : /stack overflow|C stack/.test(text) ? "stack" : "runtime";
    throw hookError(kind, text, name, locate);
  };
  const run = (want: Target, input: Uint8Array, arg?: Uint8Array) => {
    if (target !== want) throw new Error(`${pkg.name} is a '${target}' hook, not '${want}'`);
    const r = testRun(fd(), name, input, arg ? { arg } : {});
    if (!r.ok) fail(r.error);
    return r;
  };
  const bytes = (b: Uint8Array | string) => (typeof b === "string" ? new TextEncoder().encode(b) : b);

  return {
    name: pkg.name,
    target,
    manifest: pkg.manifest,
    lua: pkg.lua,
    engine: undefined,
    logs: [],
    rcu: {
      get: (key: RcuKey) => fromWire(rcuGet(fd(), name, key)),
      set: (key: RcuKey, value: RcuValue | undefined) => rcuSet(fd(), name, key, value ?? null),
    },
    runXdp(packet, opts = {}) {
      const r = run("xdp", packet, opts.arg);
      if (r.kind !== "xdp") throw new Error(`test-run answered '${r.kind}' for an xdp hook`);
      return { action: r.action, actionName: actionName(r.action), packet: r.packet, ...(r.redirect !== null ? { redirect: r.redirect } : {}) };
    },
    runRecv(msg) {
      const r = run("tls", bytes(msg));
      if (r.kind !== "tls") throw new Error(`test-run answered '${r.kind}' for a tls hook`);
      return { code: r.code, file: r.file ?? undefined };
    },
    runProcess(buf) {
      const r = run("sock", bytes(buf));
      if (r.kind !== "sock") throw new Error(`test-run answered '${r.kind}' for a sock hook`);
      return r.accept;
    },
    call() {
      throw new Error("hook.call is not available on the kernel backend: test-run reaches a hook's entry only");
    },
  };
}
