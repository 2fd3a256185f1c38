/**
 * The real `kscript` CLI against the real kscript.ko (cli.suite.ts): an interactive `kscript vm` session
 * deploys, lists, inspects and unloads a hook of each target type (and is refused a taken name), and
 * `kscript test --kernel` runs every template's own tests against the module.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { RCU_LIMITS } from "../../common/dialect.js";
import { cliSuite, errorsSuite, int64Suite, limitsSuite, templateSuites } from "./cli.suite.js";
import { SESSION_WAIT_MS, ran, suiteRun, type SuiteRun } from "./results.js";

const runs = new Map<string, SuiteRun | { skip: string }>();

beforeAll(async () => {
  for (const s of [cliSuite, limitsSuite, int64Suite, errorsSuite, ...templateSuites]) runs.set(s.name, await suiteRun(s.name));
}, SESSION_WAIT_MS);

describe("the kscript CLI in the kernel VM", () => {
  it("deploys, lists, inspects and unloads a hook of each target, and refuses a taken name", ({ skip }) => {
    const out = ran(runs.get(cliSuite.name), skip).log;
    expect(out).toMatch(/deployed 'discard' \(xdp, \d+ bytes\)\n\[status 0\]/);
    expect(out).toMatch(/deployed 'router' \(tls, \d+ bytes\)\n\[status 0\]/);
    expect(out).toMatch(/deployed 'validate' \(sock, \d+ bytes\)\n\[status 0\]/);
    expect(out).toMatch(/NAME\s+TARGET\s+ENTRY\s+SIZE\s+INSNS\s+MEM-LIMIT\s+TIME-MS\s+XDP ON\n(.*\n){4}/);
    // Each script runs under its package's limits: the defaults, or what kscript.json asked for.
    expect(out).toMatch(/discard\s+xdp\s+callback\s+\d+\s+1000000\s+1048576\s+1000\s+-/);
    expect(out).toMatch(/sum\s+tls\s+recv\s+\d+\s+1000\s+1048576\s+1000\s+-/);
    expect(out).toMatch(/router\s+tls\s+recv\s+\d+/);
    expect(out).toMatch(/validate\s+sock\s+process\s+\d+/);
    expect(out).toMatch(/NAME\s+CALLS\s+ERRORS\s+BUDGET.*INSNS\s+MEM-LIMIT\s+TIME-MS.*\nrouter\s+0\s+0\s+0\s+0\s+1\s+\d+\s+1000000\s+1048576\s+1000\s+-/);
    expect(out).toMatch(/kscript: .*discard.*\n\[status 1\]/);
    expect(out).toMatch(/\nhello\n\[status 0\]/);
    // A batch stops at the full table, saying where; what came before it stays.
    const last = RCU_LIMITS.entries;
    expect(out).toContain(`kscript: the rcu table of 'discard' is full (${last} entries) (at rcu[k${last}]: the ${last - 1} pairs before it were set, the 1 after it were not)\n[status 1]\n${last - 1}\n[status 0]\nnil\n[status 0]`);
    expect(out).toMatch(/kscript: 'router' is a tls script; only xdp scripts have an rcu table\n\[status 1\]/);
    expect(out).toMatch(/unloaded 'validate'\n\[status 0\]\nno scripts loaded\n\[status 0\]/);
    expect(out).toMatch(/kscript: no script named 'validate' is loaded\n\[status 1\]/);
  });

  it("kscript test --kernel holds a package to its kscript.json limits", ({ skip }) => {
    const { status, log } = ran(runs.get(limitsSuite.name), skip);
    expect(status?.status, log).toBe(0);
    expect(log).toMatch(/Tests\s+.*3 passed/);
  });

  it("kscript test --kernel gives the emulator's 64-bit answers (hashes, CRC32, sequence numbers, addresses)", ({ skip }) => {
    const { status, log } = ran(runs.get(int64Suite.name), skip);
    expect(status?.status, log).toBe(0);
    expect(log).toMatch(/Tests\s+.*4 passed/);
  });

  it("kscript test --kernel reports each failing hook at its TypeScript line, as the emulator does", ({ skip }) => {
    const { status, log } = ran(runs.get(errorsSuite.name), skip);
    expect(status?.status, log).toBe(0);
    expect(log).toMatch(/Tests\s+.*6 passed/);
  });

  it.for(templateSuites.map((s) => s.name))("kscript test --kernel passes %s's tests", (name, { skip }) => {
    const { status, log } = ran(runs.get(name), skip);
    expect(status?.status, log).toBe(0);
    expect(log).toMatch(/Tests\s+.*\d+ passed/);
    expect(log).not.toMatch(/Tests\s+.*\d+ failed/);
  });
});
