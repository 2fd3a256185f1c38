/**
 * A separate process of the hostile suite, with its own fd on /dev/kscript.
 *   inflight       hostile calls on "inflight" until the parent's unload makes one fail with ENOENT (on a busy
 *                  machine the parent may unload after the first call has ended: then during a later one)
 *   storm ID N     N rounds of: load a script of its own, a hostile call on it and one on "shared-xdp",
 *                  a good call, unload
 */
import assert from "node:assert/strict";
import { KscriptError, closeDevice, load, openDevice, testRun, unload } from "../../../device/client.js";
import { BUDGET, PRELUDE } from "./cases.js";

const [mode, ...args] = process.argv.slice(2);
const fd = openDevice();

function inflight(): string {
  process.send?.("started");
  const reasons = new Set<string>();
  for (let calls = 0; ; calls++) {
    let r;
    try {
      r = testRun(fd, "inflight", "x", { fn: "hostile" });
    } catch (err) {
      if (!(err instanceof KscriptError && err.code === "ENOENT")) throw err;
      assert.ok(calls > 0, "unloaded before the first call");
      return `in-flight: ${[...reasons].join(", ")}; after: ENOENT (${calls} calls)`;
    }
    assert.equal(r.ok, false);
    const reason = BUDGET.exec(r.error ?? "")?.[0];
    assert.ok(reason, String(r.error));
    reasons.add(reason);
  }
}

function storm(id: number, rounds: number): string {
  const name = `storm${id}`;
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) {
    load(fd, { name, target: i % 2 ? "sock" : "tls", script: PRELUDE + "function hostile() while true do pcall(function() while true do end end) end end" });
    const own = testRun(fd, name, "x", { fn: "hostile" });
    assert.match(own.error ?? "", BUDGET);
    const shared = testRun(fd, "shared-xdp", "x", { fn: "hostile" });
    assert.match(shared.error ?? "", BUDGET);
    const good = testRun(fd, name, "x", { fn: "ok" });
    assert.deepEqual(good.kind === "call" && good.values, [1]);
    unload(fd, name);
  }
  return `w${id}: ${rounds} rounds in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
}

const out = mode === "inflight" ? inflight() : storm(Number(args[0]), Number(args[1]));
closeDevice(fd);
process.stdout.write(out);
