/**
 * The socket ULP "lua" in the kernel VM (ulp.suite.ts): valid requests served, invalid ones refused, attached
 * by name and loaded by ulp-lua's own options; a broken or failing script; a connection holding its Lua state.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { BAD_KERNEL_LOG } from "./session.js";
import { SESSION_WAIT_MS, ran, suiteRun, type SuiteRun } from "./results.js";
import { ulpSuite } from "./ulp.suite.js";

let run: SuiteRun | { skip: string } | undefined;

beforeAll(async () => {
  run = await suiteRun(ulpSuite.name);
}, SESSION_WAIT_MS);

describe("the socket ULP lua in the kernel VM", () => {
  it("serves valid requests and refuses invalid ones, attached by name and loaded by ulp-lua's own options", ({ skip }) => {
    const out = ran(run, skip).log;
    const sections = out.split("[status");
    expect(out).toMatch(/deployed 'validate' \(sock, \d+ bytes\)/);
    expect(sections.filter((s) => s.includes("code=200 curl=0")).length, out).toBe(3);
    expect(out).toContain("same-bytes");
    expect(out).toContain("code=404 curl=0");
    // Refused: the server's recv failed with ECONNREFUSED and it closed without a reply (an empty reply,
    // or a reset since the request was never read).
    expect(sections.filter((s) => /code=000 curl=(52|56)/.test(s)).length, out).toBe(4);
    expect(out).toContain("ok=20");
    expect(out).toMatch(/validate\s+(\d+)\s+0\s+0\s+0\s+(\d+)/);
    const [, calls, states] = /validate\s+(\d+)\s+0\s+0\s+0\s+(\d+)/.exec(out)!;
    expect(Number(calls)).toBeGreaterThanOrEqual(24); // one per request, at least
    expect(Number(states)).toBeGreaterThan(1);
    expect(out).toMatch(/unloaded 'validate'/);
    expect(out).toMatch(/\n3\n\[status 0\]/); // three refusals logged by the attached server
    expect(out).toMatch(/setsockopt ULP_LOADSCRIPT: Invalid argument\nexit=1/);
    expect(out).toMatch(/kscript: ulp: ulp:\d+: '\)' expected/);
    // The erroring script passes the request through to the server, which answers the method it lacks.
    expect(sections.filter((s) => s.includes("code=405 curl=0")).length, out).toBe(2);
    expect(out).toMatch(/validate\s+\d+\s+1\s+0\s+0\s+2\s+\d+\s+\d+\s+\d+\s+\d+\s+validate: all 2 Lua states are in use \(pool_max\)/);
    expect(out).not.toMatch(BAD_KERNEL_LOG);
  });
});
