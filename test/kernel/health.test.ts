/**
 * The kernel under every suite stays healthy: in each VM of the session kscript.ko loads and unloads, nothing
 * oopses, warns or BUGs (console and dmesg), the kernel is tainted only O/E, and every suite ran to its end
 * and left nothing behind for the next (the guest runner clears what it finds, and says so).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ALLOWED_TAINT, BAD_KERNEL_LOG, type Lane } from "./session.js";
import { SESSION_WAIT_MS, laneRun, ran, suiteRun, type LaneRun, type SuiteRun } from "./results.js";
import { SUITES } from "./suites.js";

const LANES = [...new Set(SUITES.map((s) => s.lane))];
const lanes = new Map<Lane, LaneRun | { skip: string }>();
const suites = new Map<string, SuiteRun | { skip: string }>();

beforeAll(async () => {
  for (const lane of LANES) lanes.set(lane, await laneRun(lane));
  for (const s of SUITES) suites.set(s.name, await suiteRun(s.name));
}, SESSION_WAIT_MS);

describe.each(LANES)("kernel VM %s", (lane) => {
  it("loads kscript.ko, and unloads it after its suites", ({ skip }) => {
    const { init } = ran(lanes.get(lane), skip);
    if (lane === "h") {
      // Booted without kscript.ko: its suite loads one and unloads it (kscript module load/unload).
      expect(init.get("insmod")).toBe("none");
      expect(init.get("command")).toBeDefined();
      expect(init.get("left-loaded")).toBeUndefined();
      return;
    }
    expect(init.get("insmod")).toBe("0");
    expect(init.get("shell")).toBe("0");
    expect(init.get("rmmod")).toBe("0");
  });

  it("stays healthy: no oops, WARN or BUG; taint only O/E", ({ skip }) => {
    const { init, console: con, dmesg } = ran(lanes.get(lane), skip);
    const bad = [...con.split("\n"), ...dmesg.split("\n")].filter((l) => BAD_KERNEL_LOG.test(l));
    expect(bad, bad.join("\n")).toEqual([]);
    const taint = Number(init.get("tainted"));
    expect(Number.isInteger(taint), `tainted: ${init.get("tainted")}`).toBe(true);
    expect(taint & ~ALLOWED_TAINT, `tainted ${taint}`).toBe(0);
  });

  it.for(SUITES.filter((s) => s.lane === lane).map((s) => s.name))("suite %s ran to its end and left nothing behind", (name, { skip }) => {
    const { status, log } = ran(suites.get(name), skip);
    expect(status, `no status (the VM stopped during the suite?)\n${log}`).toBeDefined();
    expect(status!.stopped, log).toBeUndefined();
    expect(status!.cleared).toEqual([]);
  });
});
