/**
 * The conformance backend that runs cases in kscript.ko through /dev/kscript: load the script under a fresh
 * name, seed rcu as user space would, test-run each call, read rcu back, unload. Runs where the device is
 * (inside the test VM).
 */
import { load, rcuGet, rcuSet, testRun, unload, type RcuValue } from "../../device/client.js";
import type { Target } from "../../common/dialect.js";
import { hex, unhex, type Backend, type CallInput, type CallResult, type CaseInput, type CaseResult } from "./backend.js";

const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const text = (b: Uint8Array) => Buffer.from(b).toString("latin1");

function rcuValue(v: RcuValue): string | number | boolean | null {
  if (v instanceof Uint8Array) return text(v);
  if (typeof v === "bigint") return Number(v);
  return v;
}

let serial = 0;

export function kernelBackend(fd: number): Backend {
  return {
    name: "kernel",
    async run(script: string, target: Target, input: CaseInput): Promise<CaseResult> {
      const name = `conformance-${process.pid}-${serial++}`;
      load(fd, { name, target, script });
      try {
        for (const [key, value] of Object.entries(input.rcu ?? {})) rcuSet(fd, name, key, value);
        const calls = input.calls.map((c): CallResult => run(fd, name, target, c));
        const result: CaseResult = { calls };
        if (input.readRcu) result.rcu = Object.fromEntries(input.readRcu.map((k) => [k, rcuValue(rcuGet(fd, name, k))]));
        return result;
      } finally {
        unload(fd, name);
      }
    },
  };
}

function run(fd: number, name: string, target: Target, c: CallInput): CallResult {
  const input = target === "xdp" ? unhex(c.packet ?? "") : latin1(target === "tls" ? (c.msg ?? "") : (c.buf ?? ""));
  const r = testRun(fd, name, input, { ...(c.arg !== undefined ? { arg: unhex(c.arg) } : {}), ...(c.fn !== undefined ? { fn: c.fn } : {}) });
  const error = r.ok ? {} : { error: r.error ?? "" };
  switch (r.kind) {
    case "call": {
      if (!r.ok) return error;
      const v = r.values[0] ?? null;
      return { value: v instanceof Uint8Array ? text(v) : typeof v === "bigint" ? Number(v) : v };
    }
    case "xdp":
      return { action: r.action, packet: hex(r.packet), ...(r.redirect !== null ? { redirect: r.redirect } : {}), ...error };
    case "tls":
      return { code: r.code, ...(r.file !== null ? { file: r.file } : {}), ...error };
    case "sock":
      return { verdict: r.accept, ...error };
  }
}
