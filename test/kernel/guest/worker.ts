/**
 * A separate process for the concurrency scenarios, with its own fd on /dev/kscript.
 *   runs ID N   N xdp and tls test-runs checking every result, plus some budget-bound calls
 *   inflight    one call that runs until its budget ends (the parent unloads the script meanwhile)
 *   open        only open the device and print the error code and message (run without privileges)
 */
import assert from "node:assert/strict";
import { KscriptError, closeDevice, openDevice, testRun } from "../../../device/client.js";

const [mode, ...args] = process.argv.slice(2);

if (mode === "open") {
  try {
    closeDevice(openDevice());
    process.stdout.write("opened");
  } catch (err) {
    if (!(err instanceof KscriptError)) throw err;
    process.stdout.write(`${err.code}: ${err.message}`);
  }
  process.exit(0);
}

const fd = openDevice();

function inflight(): string {
  process.send?.("started");
  const r = testRun(fd, "inflight", "x");
  assert.equal(r.ok, false);
  assert.match(r.error ?? "", /(instruction|time) budget exceeded/);
  try {
    testRun(fd, "inflight", "x");
  } catch (err) {
    if (err instanceof KscriptError && err.code === "ENOENT") return "in-flight: budget exceeded; after: ENOENT";
    throw err;
  }
  return "in-flight: budget exceeded; after: still loaded";
}

function runs(id: number, n: number): string {
  let slow = 0;
  for (let i = 0; i < n; i++) {
    const x = testRun(fd, "conc-xdp", Buffer.from([i % 2 ? 0xff : 0x01, id]));
    assert.equal(x.kind === "xdp" && x.action, i % 2 ? 1 : 2);
    const t = testRun(fd, "conc-tls", `GET /w${id}/${i} HTTP/1.1`);
    assert.deepEqual(t, { ok: true, error: null, errorLines: [], kind: "tls", code: 1, file: `/w${id}/${i}` });
    if (i % 50 === 0) {
      const s = testRun(fd, "conc-slow", "x");
      assert.equal(s.ok, false);
      // Under load the wall-clock budget may end a call before the instruction count does.
      assert.match(s.error ?? "", /(instruction|time) budget exceeded/);
      slow++;
    }
  }
  return `w${id}: ${n} runs, ${slow} budget-bound`;
}

const out = mode === "inflight" ? inflight() : runs(Number(args[0]), Number(args[1]));
closeDevice(fd);
process.stdout.write(out);
