/**
 * The hostile suite's runner in the VM (argv[2]: the out share). Runs every case of cases.ts against the real
 * /dev/kscript at the default limits, then the `max` ones with the module parameters at their maximum, and
 * appends one JSON line per case to hostile.jsonl. After every case: no BUG, WARN, lockup, hung task, RCU stall
 * or Oops in the kernel log, `ls` answers, and the stats count the failure. vm/init.sh then unloads the module.
 */
import assert from "node:assert/strict";
import { appendFileSync, closeSync, constants, openSync, readFileSync, readSync, writeFileSync, writeSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { forkWorker } from "../guest/fork-worker.js";
import { KscriptError, type RunResult, closeDevice, list, load, openDevice, stats, testRun, unload } from "../../../device/client.js";
import { HEADER_SIZE, Op, decodeReply, encodeRequest } from "../../../device/protocol.js";
import { BUDGET, CASES, type HostileCase, type HostileResult, LIMITS, PRELUDE, type Phase, SCENARIOS } from "./cases.js";
import { XDP_CEILINGS, type Limits } from "../../../common/dialect.js";
import { replayableRandom } from "../../helpers/random.js";

const outDir = process.argv[2] ?? "/run/kscript-out";
const fd = openDevice();
const WORKER = fileURLToPath(new URL("./worker.js", import.meta.url));

/** What fails a case when the kernel logs it. */
const BAD_LOG = /BUG|WARN|soft lockup|hung task|blocked for more than|rcu:.*stall|Oops|Call Trace|general protection/;

const kmsg = openSync("/dev/kmsg", constants.O_RDONLY | constants.O_NONBLOCK);
/** Kernel log records since the last call. */
function newLogLines(): string[] {
  const lines: string[] = [];
  const buf = Buffer.alloc(16384);
  for (;;) {
    try {
      const n = readSync(kmsg, buf, 0, buf.length, null);
      const rec = buf.subarray(0, n).toString();
      lines.push(rec.slice(rec.indexOf(";") + 1).split("\n")[0]!);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EPIPE") continue; // records overwritten since the last read: go on with the next
      if (code === "EAGAIN") return lines;
      throw err;
    }
  }
}

/**
 * What a script asks for in this phase: the phase's ceilings themselves (module parameters cap, the load asks),
 * cut to the xdp ceilings for an xdp script, which are fixed.
 */
function limitsFor(phase: Phase, target: string): Partial<Limits> {
  const l = LIMITS[phase];
  const xdp = target === "xdp";
  return {
    instructions: xdp ? Math.min(l.insn_limit, XDP_CEILINGS.instructions) : l.insn_limit,
    memory: l.mem_limit,
    time: xdp ? Math.min(l.time_limit_ms, XDP_CEILINGS.time) : l.time_limit_ms,
  };
}

function setLimits(phase: Phase): void {
  for (const [param, value] of Object.entries(LIMITS[phase])) {
    writeFileSync(`/sys/module/kscript/parameters/${param}`, `${value}\n`);
  }
}

/** The checks after every case: a clean kernel log and a device that still answers `ls` quickly. */
function healthy(): string {
  const bad = newLogLines().filter((l) => BAD_LOG.test(l));
  assert.deepEqual(bad, [], `kernel log:\n${bad.join("\n")}`);
  const t0 = performance.now();
  list(fd);
  const ms = performance.now() - t0;
  assert.ok(ms < 2000, `ls took ${ms.toFixed(0)} ms`);
  return `ls ${ms.toFixed(1)} ms`;
}

function failure(r: RunResult, re: RegExp): string {
  assert.equal(r.ok, false, "the call should have failed");
  assert.match(r.error ?? "", re);
  return r.error!;
}

/** The longest a call may take past its time limit: one collection or C loop past the last check, under TCG. */
const slackMs = (phase: Phase): number => Math.max(2500, LIMITS[phase].time_limit_ms / 4);

function hostileCase(c: HostileCase, phase: Phase, index: number): { detail: string; ms: number } {
  const name = `h${index}`;
  load(fd, { name, target: c.target ?? "tls", script: PRELUDE + c.script, limits: limitsFor(phase, c.target ?? "tls") });
  try {
    const t0 = performance.now();
    const r = testRun(fd, name, "x", c.fn === "" ? {} : { fn: c.fn ?? "hostile" });
    const ms = performance.now() - t0;
    const message = failure(r, c.error);
    assert.ok(ms < LIMITS[phase].time_limit_ms + slackMs(phase), `the call took ${ms.toFixed(0)} ms`);
    const st = stats(fd, name);
    assert.equal(st.calls, 1);
    assert.equal(st.errors, 1);
    if (c.counts === "budget") assert.equal(st.budgetHits, 1, "budget hits");
    if (c.counts === "memory") assert.ok(st.memoryHits >= 1, `memory hits ${st.memoryHits}`);
    if (c.counts === "none") assert.equal(st.budgetHits, 0, "budget hits");
    assert.ok(st.memory <= LIMITS[phase].mem_limit, `memory ${st.memory}`);
    // The state is usable for the next call.
    const next = testRun(fd, name, "x", { fn: "ok" });
    assert.deepEqual(next.kind === "call" && next.values, [1], `next call: ${next.error}`);
    assert.ok(list(fd).some((s) => s.name === name));
    return { detail: `${message.slice(0, 100)}; ${healthy()}`, ms };
  } finally {
    unload(fd, name);
  }
}

function kscriptError(fn: () => unknown, code: string, message?: RegExp): void {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof KscriptError, String(err));
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return;
  }
  assert.fail(`expected ${code}`);
}

const worker = (args: string[]) => forkWorker(WORKER, args);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function kernelKb(): number {
  writeFileSync("/proc/sys/vm/drop_caches", "3\n");
  const info = readFileSync("/proc/meminfo", "utf8");
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(info)?.[1] ?? NaN);
  return field("Slab") + field("VmallocUsed");
}

const scenarios: Record<string, (phase: Phase) => Promise<string> | string> = {
  "load: a top-level loop and a top-level xpcall handler loop": () => {
    const t0 = performance.now();
    kscriptError(() => load(fd, { name: "top", target: "tls", script: "while true do end" }), "ENOEXEC", BUDGET);
    kscriptError(
      () => load(fd, { name: "top", target: "xdp", script: "xpcall(function() while true do end end, function() while true do end end)" }),
      "ENOEXEC",
      BUDGET,
    );
    const ms = performance.now() - t0;
    assert.equal(list(fd).length, 0);
    return `both loads refused in ${ms.toFixed(0)} ms`;
  },

  "unload while a hostile call is in flight": async (phase) => {
    // The phase's limits: the dialect's default budget (1M instructions) can run out under TCG before the unload.
    load(fd, { name: "inflight", target: "tls", script: PRELUDE + "function hostile() xpcall(function() while true do end end, function() while true do end end) end", limits: limitsFor(phase, "tls") });
    const w = worker(["inflight"]);
    await w.started;
    // Its first call has begun (the module counts a call as it starts), however busy the machine is.
    while (stats(fd, "inflight").calls < 1) await sleep(10);
    await sleep(50);
    const t0 = performance.now();
    unload(fd, "inflight");
    const ms = performance.now() - t0;
    assert.ok(!list(fd).some((s) => s.name === "inflight"));
    const out = await w.done;
    assert.match(out, /^in-flight: (instruction|time) budget exceeded(, (instruction|time) budget exceeded)?; after: ENOENT \(\d+ calls\)$/);
    return `unload ${ms.toFixed(1)} ms; ${out}`;
  },

  "several processes: hostile calls, loads and unloads at once; ls stays quick": async () => {
    load(fd, { name: "shared-xdp", target: "xdp", script: PRELUDE + "function hostile() return xpcall(function() while true do end end, function() while true do end end) end" });
    const procs = 4;
    const jobs = Array.from({ length: procs }, (_, i) => worker(["storm", String(i), "4"]).done);
    let done = false;
    const all = Promise.all(jobs).finally(() => (done = true));
    let slowest = 0;
    let polls = 0;
    while (!done) {
      const t0 = performance.now();
      list(fd);
      slowest = Math.max(slowest, performance.now() - t0);
      polls++;
      await sleep(50);
    }
    const outs = await all;
    const st = stats(fd, "shared-xdp");
    unload(fd, "shared-xdp");
    assert.equal(st.budgetHits, procs * 4);
    assert.ok(slowest < 2000, `ls took ${slowest.toFixed(0)} ms`);
    assert.equal(list(fd).length, 0);
    return `${outs.join("; ")}; ${polls} ls while they ran, slowest ${slowest.toFixed(1)} ms`;
  },

  "malformed frames": () => {
    const rand = replayableRandom(0x1bad);
    const buf = Buffer.alloc(65536);
    const reply = (): number => decodeReply(buf.subarray(0, readSync(fd, buf, 0, buf.length, null))).status;
    const header = Buffer.from(encodeRequest(Op.list, []));
    const frames: Buffer[] = [
      header.subarray(0, HEADER_SIZE - 1), // short
      Buffer.concat([header, Buffer.from([9])]), // length says 0, one byte follows
      Buffer.from(header).fill(0, 0, 4), // bad magic
    ];
    for (const op of [0, 10, 0xffff]) {
      const f = Buffer.from(header);
      f.writeUInt16LE(op, 6);
      frames.push(f);
    }
    // Well-framed requests whose values lie: lengths past the end, unknown types, a run with no input.
    for (let i = 0; i < 400; i++) {
      const body = Buffer.from(Array.from({ length: rand(64) }, () => rand(256)));
      if (body.length && rand(2)) body[0] = 3; // a string value whose length runs past the end
      const f = Buffer.concat([Buffer.from(encodeRequest((1 + rand(9)) as (typeof Op)[keyof typeof Op], [])), body]);
      f.writeUInt32LE(body.length, 12);
      frames.push(f);
    }
    let replies = 0;
    let refused = 0;
    for (const f of frames) {
      try {
        writeSync(fd, f);
      } catch (err) {
        assert.match(String(err), /EINVAL|EMSGSIZE/);
        refused++;
        continue;
      }
      reply();
      replies++;
    }
    for (const s of list(fd)) unload(fd, s.name);
    return `${replies} error replies, ${refused} refused writes`;
  },

  "unload of a state filled to its cap": (phase) => {
    load(fd, { name: "full", target: "tls", script: PRELUDE + "keep = {} function hostile() local k = 0 while true do k = k + 1 keep[k] = { k } end end", limits: limitsFor(phase, "tls") });
    const r = testRun(fd, "full", "x", { fn: "hostile" });
    failure(r, /not enough memory|budget exceeded/);
    const held = stats(fd, "full").memory;
    const t0 = performance.now();
    unload(fd, "full");
    const ms = performance.now() - t0;
    assert.ok(ms < 5000, `unload took ${ms.toFixed(0)} ms`);
    return `${(held / 1048576).toFixed(1)} MiB of small tables closed in ${ms.toFixed(0)} ms (cap ${LIMITS[phase].mem_limit >> 20} MiB)`;
  },

  "300 hostile load/run/unload cycles: kernel memory returns to baseline": () => {
    const scripts = CASES.filter((c) => c.counts === "budget" && !c.max);
    const cycle = (i: number): void => {
      const c = scripts[i % scripts.length]!;
      load(fd, { name: "cycle", target: c.target ?? "tls", script: PRELUDE + c.script });
      testRun(fd, "cycle", "x", c.fn === "" ? {} : { fn: c.fn ?? "hostile" });
      unload(fd, "cycle");
    };
    // Short budgets: the cycles are about what loading, failing and unloading leave behind.
    writeFileSync("/sys/module/kscript/parameters/insn_limit", "200000\n");
    try {
      for (let i = 0; i < 30; i++) cycle(i);
      const before = kernelKb();
      const t0 = performance.now();
      for (let i = 0; i < 300; i++) cycle(i);
      const ms = performance.now() - t0;
      const after = kernelKb();
      assert.ok(after - before < 1024, `slab+vmalloc grew by ${after - before} kB`);
      return `300 cycles in ${(ms / 1000).toFixed(1)} s; slab+vmalloc ${before} kB → ${after} kB`;
    } finally {
      setLimits("default");
    }
  },
};

function record(r: HostileResult): void {
  appendFileSync(`${outDir}/hostile.jsonl`, `${JSON.stringify(r)}\n`);
}

async function attempt(phase: Phase, name: string, klass: string, run: () => Promise<{ detail: string; ms: number }>): Promise<void> {
  try {
    const { detail, ms } = await run();
    record({ phase, name, class: klass, ok: true, detail, ms });
  } catch (err) {
    const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
    record({ phase, name, class: klass, ok: false, detail, ms: NaN });
    for (const s of list(fd)) unload(fd, s.name); // what a failed case left behind
  }
}

newLogLines();
for (const phase of ["default", "max"] as const) {
  setLimits(phase);
  let index = 0;
  for (const c of CASES) {
    index++;
    if (phase === "max" && !c.max) continue;
    await attempt(phase, c.name, c.class, async () => hostileCase(c, phase, index));
  }
  for (const name of SCENARIOS[phase]) {
    await attempt(phase, name, "scenario", async () => {
      const t0 = performance.now();
      const detail = await scenarios[name]!(phase);
      return { detail: `${detail}; ${healthy()}`, ms: performance.now() - t0 };
    });
  }
}
setLimits("default");
closeSync(kmsg);
closeDevice(fd);
