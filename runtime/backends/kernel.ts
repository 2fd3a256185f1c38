/**
 * kscript.ko as a backend (`kscript test --kernel` sets KSCRIPT_BACKEND=kernel inside the VM): a script is
 * loaded through /dev/kscript under a name of its own and every call is a test-run request, so the same test
 * file or conformance case that ran in the emulator now runs against the real module. A Lua error still
 * comes back at its TypeScript line.
 */
import { closeDevice, load, openDevice, rcuGet, rcuSet, testRun, unload, type RcuValue as WireRcuValue } from "../../device/client.js";
import type { RcuValue } from "../bindings/context.js";
import { hookError, type ErrorKind } from "../errors.js";
import type { Backend, CallOutcome, LoadedScript, ScriptSpec } from "./backend.js";

let device: number | undefined;
const loaded = new Set<string>();
let serial = 0;

function fd(): number {
  if (device === undefined) {
    device = openDevice();
    // What a test file loaded goes when it ends, so the next file starts from a clean registry.
    process.once("exit", () => {
      for (const name of loaded) unload(device!, name);
      closeDevice(device!);
    });
  }
  return device;
}

/** Strings hold bytes, one per character (as the engine's rcu keeps them, and fromWire reads them back). */
const toWire = <T>(v: T): T | Uint8Array => (typeof v === "string" ? Buffer.from(v, "latin1") : v);
const fromWire = (v: WireRcuValue): RcuValue | undefined => {
  if (v === null) return undefined;
  if (v instanceof Uint8Array) return Buffer.from(v).toString("latin1");
  return typeof v === "bigint" ? Number(v) : v;
};

/** The kind of failure, from the kernel's message (the module words them as the local engine does). */
function kindOf(message: string): ErrorKind {
  if (/budget|time limit/.test(message)) return "budget";
  if (/not enough memory/.test(message)) return "memory";
  return /stack overflow|C stack/.test(message) ? "stack" : "runtime";
}

export const kernelBackend: Backend = {
  name: "kernel",
  load(spec: ScriptSpec): LoadedScript {
    const target = spec.target;
    if (target === "module") throw new Error(`${spec.name} is a plain module: only hooks (xdp, tls, sock) can run in the kernel`);
    // Names are unique per process and load, so parallel test files never collide in the registry.
    const name = `${spec.name}-${process.pid}-${serial++}`;
    // Unset limits are left to the module, whose defaults are the dialect's (the emulator's) numbers.
    const { instructions, memory, time } = spec.limits ?? {};
    const loadAs = (as: string) => {
      load(fd(), { name: as, target, script: spec.lua, limits: { instructions, memory, time } });
      loaded.add(as);
    };
    loadAs(name);
    // The kernel gives each tls or sock connection a Lua state of its own, and a test gives each its own
    // `cpu`; test-run reaches one state per script, so each further connection runs in a copy loaded under
    // a name of its own. XDP's per-CPU states share the script's rcu table, which a copy would not.
    const copies = new Map<number, string>([[0, name]]);
    const nameFor = (cpu = 0): string => {
      if (target === "xdp") return name;
      let copy = copies.get(cpu);
      if (copy === undefined) {
        copy = `${name}-c${cpu}`;
        loadAs(copy);
        copies.set(cpu, copy);
      }
      return copy;
    };
    return {
      name,
      target,
      rcu: {
        get: (key) => fromWire(rcuGet(fd(), name, toWire(key))),
        set: (key, value) => rcuSet(fd(), name, toWire(key), toWire(value ?? null)),
      },
      logs: [],
      engine: undefined,
      run(call): CallOutcome {
        const r = testRun(fd(), nameFor(call.cpu), call.input, { ...(call.arg ? { arg: call.arg } : {}), ...(call.fn !== undefined ? { fn: call.fn } : {}) });
        const error = r.ok ? {} : { error: hookError(kindOf(r.error ?? "error"), r.error ?? "error", name, spec.locate, r.errorLines) };
        switch (r.kind) {
          case "xdp":
            return { kind: "xdp", action: r.action, packet: r.packet, ...(r.redirect !== null ? { redirect: r.redirect } : {}), ...error };
          case "tls":
            return { kind: "tls", code: r.code, ...(r.file !== null ? { file: r.file } : {}), ...error };
          case "sock":
            return { kind: "sock", accept: r.accept, ...error };
          case "call": {
            const v = r.ok ? (r.values[0] ?? null) : null;
            return { kind: "call", value: v instanceof Uint8Array ? Buffer.from(v).toString("latin1") : v, ...error };
          }
        }
      },
      call() {
        throw new Error("hook.call is not available on the kernel backend: test-run reaches a hook's entry only");
      },
      unload() {
        for (const copy of copies.values()) {
          unload(fd(), copy);
          loaded.delete(copy);
        }
      },
    };
  },
};
