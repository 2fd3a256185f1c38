/** `kscript test`: a project folder with no config of its own runs its tests against this runtime. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { runTests } from "../../runtime/run-tests.js";

const HOOK = `import type { Data } from "kscript/data";
import { action, type Action } from "kscript/xdp";

export function callback(pkt: Data): Action {
  return pkt.len() > 100 ? action.drop : action.pass;
}
`;

const TESTS = `import { expect, test } from "vitest";
import { loadHook, udpPacket } from "kscript/testing";

const small = udpPacket({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 1, dstPort: 2, payload: new Uint8Array(10) });
const big = udpPacket({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 1, dstPort: 2, payload: new Uint8Array(200) });

test("passes small packets", async () => {
  const hook = await loadHook("src/filter.ts");
  expect(hook.runXdp(small).actionName).toBe("pass");
});

test("drops big packets", async () => {
  const hook = await loadHook("src/filter.ts");
  expect(hook.runXdp(big).actionName).toBe("drop");
});

test("fails on purpose when EXPECT_BROKEN is set", async () => {
  const hook = await loadHook("src/filter.ts");
  expect(hook.runXdp(big).actionName).toBe(process.env.EXPECT_BROKEN ? "pass" : "drop");
});
`;

function project(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kscript-project-"));
  fs.mkdirSync(path.join(dir, "src"));
  fs.mkdirSync(path.join(dir, "test"));
  fs.writeFileSync(path.join(dir, "src", "filter.ts"), HOOK);
  fs.writeFileSync(path.join(dir, "test", "filter.test.ts"), TESTS);
  return dir;
}

/** Runs the project with vitest's JSON reporter (a forwarded flag) and returns the exit code and the report. */
async function run(dir: string, name: string, extra: string[] = []) {
  const report = path.join(dir, `${name}.json`);
  const code = await runTests(dir, ["--reporter=json", `--outputFile=${report}`, ...extra]);
  const json = JSON.parse(fs.readFileSync(report, "utf8")) as { numPassedTests: number; numFailedTests: number; numPendingTests: number };
  return { code, passed: json.numPassedTests, failed: json.numFailedTests, skipped: json.numPendingTests };
}

describe("runTests", () => {
  test("returns 0 when the project's tests pass, 1 when one fails, and forwards vitest's flags", async () => {
    const dir = project();
    try {
      process.env.EXPECT_BROKEN = "1";
      expect(await run(dir, "red")).toEqual({ code: 1, passed: 2, failed: 1, skipped: 0 });
      // -t is vitest's name filter: leaving out the broken test makes the run pass (exit 0).
      expect(await run(dir, "filtered", ["-t", "^(passes|drops)"])).toEqual({ code: 0, passed: 2, failed: 0, skipped: 1 });
    } finally {
      delete process.env.EXPECT_BROKEN;
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // Two vitest runs, each loading the hook: a minute on a loaded machine.
  }, 300_000);
});
