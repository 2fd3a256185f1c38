/**
 * What the kernel VM checks, through the real client library on the real /dev/kscript. Each scenario throws on
 * failure and may return a line of measurements. The host test (../vm.test.ts) makes one vitest case per name.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, constants, openSync, readFileSync, readSync, writeFileSync, writeSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { forkWorker } from "./fork-worker.js";
import { DEFAULT_LIMITS, KERNEL_CEILINGS, XDP_CEILINGS } from "../../../common/dialect.js";
import {
  KscriptError,
  type RunResult,
  list,
  load,
  rcuGet,
  rcuSet,
  request,
  stats,
  testRun,
  unload,
} from "../../../device/client.js";
import { HEADER_SIZE, Op, REQUEST_MAX, decodeReply, encodeRequest } from "../../../device/protocol.js";
import { replayableRandom } from "../../helpers/random.js";

export interface Scenario {
  name: string;
  run(fd: number): Promise<string | void> | string | void;
}

function kscriptError(fn: () => unknown, code: string, message?: RegExp): KscriptError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof KscriptError, `expected a KscriptError, got ${String(err)}`);
    assert.equal(err.code, code, `expected ${code}: ${err.message}`);
    if (message) assert.match(err.message, message);
    return err;
  }
  assert.fail(`expected ${code}, but the request succeeded`);
}

/**
 * A budget error. Instructions are the budget meant to end these calls (~50 ms of TCG for the default 1M);
 * the wall-clock budget may end them first on a loaded machine, which is as good.
 */
const BUDGET = /(instruction|time) budget exceeded/;
const BUDGET_AT = (where: string): RegExp => new RegExp(`^${where}: (instruction|time) budget exceeded`);

function runFails(r: RunResult, message: RegExp): void {
  assert.equal(r.ok, false, "the run should have failed");
  assert.match(r.error ?? "", message);
}

function callValues(r: RunResult): unknown[] {
  assert.equal(r.kind, "call");
  assert.ok(r.ok, `run failed: ${r.error}`);
  return r.kind === "call" ? r.values : [];
}

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "latin1"));

/** Load, run `body`, and unload even when it throws. */
function withScript<T>(fd: number, opts: Parameters<typeof load>[1], body: () => T): T {
  load(fd, opts);
  try {
    return body();
  } finally {
    unload(fd, opts.name);
  }
}

const TIME_LIMIT = "/sys/module/kscript/parameters/time_limit_ms";

/**
 * Runs `body` with scripts loaded meanwhile given a wall-clock budget of `ms`: a scenario about another limit
 * (the memory cap) must not meet the default second first when the machine is busy and the guest slow.
 */
function withTimeLimit<T>(ms: number, body: () => T): T {
  const previous = readFileSync(TIME_LIMIT, "utf8");
  writeFileSync(TIME_LIMIT, `${ms}\n`);
  try {
    return body();
  } finally {
    writeFileSync(TIME_LIMIT, previous);
  }
}

function meminfoKb(): number {
  const info = readFileSync("/proc/meminfo", "utf8");
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(info)?.[1] ?? NaN);
  return field("Slab") + field("VmallocUsed");
}

/** Drop the page and dentry caches, whose slab churn would otherwise hide (or fake) a leak. */
function settle(): void {
  writeFileSync("/proc/sys/vm/drop_caches", "3\n");
}

const WORKER = fileURLToPath(new URL("./worker.js", import.meta.url));

const spawnWorker = (args: string[]) => forkWorker(WORKER, args);

const XDP = `
function callback(pkt, arg)
  if pkt:getbyte(0) == 0xff then return xdp.action.drop end
  if arg and arg:getstring() == "drop" then return xdp.action.drop end
  return xdp.action.pass
end
`;

const TLS = `
function recv(msg)
  local path = msg:match("^GET (/%S*)")
  if path then return 1, path end
  return 0
end
`;

const SOCK = `
function process(buf)
  return #buf >= 4 and buf:getstring(0, 4) == "PING"
end
`;

function roundTrip(fd: number, target: "xdp" | "tls" | "sock", script: string, check: () => void): string {
  const name = `rt-${target}`;
  const t0 = performance.now();
  load(fd, { name, target, script });
  const loadMs = performance.now() - t0;
  const found = list(fd).find((s) => s.name === name);
  assert.deepEqual(found, {
    name,
    target,
    entry: { xdp: "callback", tls: "recv", sock: "process" }[target],
    size: script.length,
    limits: DEFAULT_LIMITS,
    interfaces: [],
  });
  check();
  const st = stats(fd, name);
  assert.equal(st.errors, 0);
  assert.ok(st.calls >= 1, `calls ${st.calls}`);
  assert.equal(st.states, target === "xdp" ? availableParallelism() : 1);
  assert.ok(st.memory > 0 && st.memory < 1 << 20, `memory ${st.memory}`);
  unload(fd, name);
  assert.equal(list(fd).find((s) => s.name === name), undefined);
  kscriptError(() => stats(fd, name), "ENOENT", /no script named/);
  return `load ${loadMs.toFixed(1)} ms, ${st.memory} bytes in ${st.states} state(s)`;
}

export const scenarios: Scenario[] = [
  {
    name: "xdp round trip: load, list, stats, test-run, unload",
    run: (fd) =>
      roundTrip(fd, "xdp", XDP, () => {
        const pass = testRun(fd, "rt-xdp", bytes("\x01\x02"));
        assert.deepEqual(pass, { ok: true, error: null, errorLines: [], kind: "xdp", action: 2, packet: bytes("\x01\x02"), redirect: null });
        const drop = testRun(fd, "rt-xdp", bytes("\xff"));
        assert.equal(drop.kind === "xdp" && drop.action, 1);
        const arg = testRun(fd, "rt-xdp", bytes("\x01"), { arg: "drop" });
        assert.equal(arg.kind === "xdp" && arg.action, 1);
      }),
  },
  {
    name: "tls round trip: load, list, stats, test-run, unload",
    run: (fd) =>
      roundTrip(fd, "tls", TLS, () => {
        assert.deepEqual(testRun(fd, "rt-tls", "GET /index.html HTTP/1.1\r\n"), {
          ok: true,
          error: null,
          errorLines: [],
          kind: "tls",
          code: 1,
          file: "/index.html",
        });
        assert.deepEqual(testRun(fd, "rt-tls", "POST / HTTP/1.1\r\n"), { ok: true, error: null, errorLines: [], kind: "tls", code: 0, file: null });
      }),
  },
  {
    name: "sock round trip: load, list, stats, test-run, unload",
    run: (fd) =>
      roundTrip(fd, "sock", SOCK, () => {
        assert.deepEqual(testRun(fd, "rt-sock", "PING\n"), { ok: true, error: null, errorLines: [], kind: "sock", accept: true });
        assert.deepEqual(testRun(fd, "rt-sock", "QUIT\n"), { ok: true, error: null, errorLines: [], kind: "sock", accept: false });
      }),
  },
  {
    name: "a plain call returns its values",
    run: (fd) =>
      withScript(fd, { name: "call", target: "tls", script: `${TLS}\nfunction many(s) return 42, s, true, nil, -9223372036854775807 - 1 end` }, () => {
        const v = callValues(testRun(fd, "call", "in", { fn: "many" }));
        assert.deepEqual(v, [42, bytes("in"), true, null, -(1n << 63n)]);
      }),
  },
  {
    name: "print writes one kernel log line with the script's name",
    run: (fd) => {
      const kmsg = openSync("/dev/kmsg", constants.O_RDONLY | constants.O_NONBLOCK);
      const records = (): string[] => {
        const out: string[] = [];
        const buf = Buffer.alloc(8192);
        for (;;) {
          try {
            out.push(buf.subarray(0, readSync(kmsg, buf, 0, buf.byteLength, null)).toString());
          } catch (err) {
            if (err instanceof Error && "code" in err && err.code === "EAGAIN") return out;
            if (err instanceof Error && "code" in err && err.code === "EPIPE") continue; // overwritten records
            throw err;
          }
        }
      };
      records(); // skip what is already there
      withScript(fd, { name: "printer", target: "sock", script: `${SOCK}\nfunction hello() print("hello", 42, nil, true) end` }, () => {
        assert.ok(callValues(testRun(fd, "printer", "", { fn: "hello" })));
      });
      const lines = records().filter((r) => r.includes("kscript: printer:"));
      closeSync(kmsg);
      assert.equal(lines.length, 1, lines.join("\n"));
      // /dev/kmsg escapes control characters: the tabs print() puts between values read as \x09.
      assert.match(lines[0]!, /;kscript: printer: hello\\x0942\\x09nil\\x09true\n$/);
    },
  },
  {
    name: "rcu: each xdp script has one table, shared by its states and the client, apart from other scripts'",
    run: (fd) => {
      const script = `
        function callback(pkt)
          rcu.set("hits", (rcu.get("hits") or 0) + 1)
          rcu.set(pkt:getstring(), #pkt)
          rcu.set("seen", true)
          return rcu.get("verdict") or xdp.action.pass
        end
        function badkey() rcu.set("", 1) end
        function badvalue() rcu.set("k", {}) end
        function bigvalue() rcu.set("k", string.rep("x", 4097)) end`;
      return withScript(fd, { name: "rcu", target: "xdp", script }, () => {
        rcuSet(fd, "rcu", "hits", null);
        rcuSet(fd, "rcu", "verdict", 1);
        const r = testRun(fd, "rcu", "abc");
        assert.equal(r.kind === "xdp" && r.action, 1);
        testRun(fd, "rcu", "abc");
        assert.equal(rcuGet(fd, "rcu", "hits"), 2);
        assert.equal(rcuGet(fd, "rcu", "abc"), 3);
        assert.equal(rcuGet(fd, "rcu", "seen"), true);
        rcuSet(fd, "rcu", 7, "seven");
        assert.deepEqual(rcuGet(fd, "rcu", 7), bytes("seven"));
        rcuSet(fd, "rcu", "7", false);
        assert.equal(rcuGet(fd, "rcu", "7"), false);
        assert.deepEqual(rcuGet(fd, "rcu", 7), bytes("seven"));
        rcuSet(fd, "rcu", "verdict", null);
        assert.equal(rcuGet(fd, "rcu", "verdict"), null);
        kscriptError(() => rcuGet(fd, "no-such-script", "x"), "ENOENT");
        withScript(fd, { name: "rcu-other", target: "xdp", script: "function callback(pkt) return rcu.get('hits') or 9 end" }, () => {
          // Another script's table is its own: it does not see "hits".
          const other = testRun(fd, "rcu-other", "abc");
          assert.equal(other.kind === "xdp" && other.action, 9);
          rcuSet(fd, "rcu-other", "hits", 4);
          assert.equal(rcuGet(fd, "rcu", "hits"), 2);
        });
        withScript(fd, { name: "rcu-tls", target: "tls", script: "function recv(msg) return 0 end" }, () => {
          kscriptError(() => rcuGet(fd, "rcu-tls", "x"), "EINVAL", /only xdp scripts have an rcu table/);
        });
        kscriptError(() => rcuSet(fd, "rcu", "", 1), "EINVAL");
        kscriptError(() => rcuSet(fd, "rcu", "x".repeat(256), 1), "E2BIG");
        kscriptError(() => rcuSet(fd, "rcu", "k", "x".repeat(4097)), "E2BIG");
        runFails(testRun(fd, "rcu", "", { fn: "badkey" }), /rcu keys are strings of 1\.\.255 bytes or integers/);
        runFails(testRun(fd, "rcu", "", { fn: "badvalue" }), /rcu values are strings, integers or booleans/);
        runFails(testRun(fd, "rcu", "", { fn: "bigvalue" }), /rcu strings are at most 4096 bytes/);
        // The table goes with its script: nothing to clean up.
      });
    },
  },
  {
    name: "data: views, layouts, segments and rewriting the packet",
    run: (fd) => {
      const script = `
        local ip = data.layout({ version = {0, 4}, ihl = {4, 4}, ttl = {64, 8}, proto = {72, 8},
                                 src = {96, 32}, le16 = {0, 16, "little"}, tag = {12, 4, "s"},
                                 wide = {0, 72}, last = {152, 8} })
        function callback(pkt)
          pkt:layout(ip)
          if pkt.version ~= 4 then return xdp.action.aborted end
          pkt.ttl = pkt.ttl - 1
          pkt:setuint16(10, 0xbeef)
          pkt:segment(16):setbyte(0, 0x7f)
          if pkt.proto == 17 then return xdp.redirect(3) end
          return xdp.action.tx
        end
        function fields(pkt)
          pkt:layout(ip)
          return pkt.ihl, pkt.src, pkt.le16, pkt.tag, pkt.wide, pkt.last, #pkt, pkt:getuint32(12), pkt:getuint16(0)
        end
        function bounds(pkt) return pkt:getbyte(#pkt) end
        function segs(pkt)
          return pkt:segment(2, 2):getstring(), pkt:segment(#pkt + 1) == nil, pkt:segment(1, #pkt) == nil, #pkt:segment(#pkt)
        end
        function made()
          local a = data.new("hi")
          local b = data.new({1, 2, 0x1ff})
          local c = data.new(3)
          a:setbyte(0, 72)
          return a:getstring(), b:getstring(), c:getstring(), data.new(0) == nil, data.new("") == nil, #c:segment(1)
        end
        function badlayout() return data.new("x"):layout({ f = {0, 0} }) end
        function badendian() return data.new("x"):layout({ f = {0, 8, "middle"} }) end`;
      const ipv4 = Buffer.from("4500001c000040004011" + "0000" + "0a000001" + "0a000002" + "00350035", "hex");
      return withScript(fd, { name: "data", target: "xdp", script }, () => {
        const r = testRun(fd, "data", ipv4);
        assert.equal(r.kind, "xdp");
        if (r.kind !== "xdp") return;
        assert.equal(r.action, 4);
        assert.equal(r.redirect, 3);
        const want = Buffer.from(ipv4);
        want[8] = 0x3f; // ttl 64 - 1
        want.writeUInt16BE(0xbeef, 10);
        want[16] = 0x7f;
        assert.deepEqual(Buffer.from(r.packet), want);
        assert.deepEqual(callValues(testRun(fd, "data", ipv4, { fn: "fields" })), [
          5, 0x0a000001, 0x0045, bytes("\x0a\x00\x00\x01"), null, 0x02, 24, 0x0a000001, 0x4500,
        ]);
        runFails(testRun(fd, "data", ipv4, { fn: "bounds" }), /bad argument #1 to 'getbyte' \(out of bounds\)/); // #1: a method call
        assert.deepEqual(callValues(testRun(fd, "data", "abcd", { fn: "segs" })), [bytes("cd"), true, true, 0]);
        assert.deepEqual(callValues(testRun(fd, "data", "", { fn: "made" })), [bytes("Hi"), bytes("\x01\x02\xff"), bytes("\0\0\0"), true, true, 2]);
        runFails(testRun(fd, "data", "", { fn: "badlayout" }), /layout field 'f' needs a non-negative offset and a positive length/);
        runFails(testRun(fd, "data", "", { fn: "badendian" }), /unknown endianness 'middle'/);
        // A view kept past its call sees nothing (one state: sock).
        const keep = `${SOCK.replace("function process(buf)", "function process(buf)\n  kept = buf:segment(1)")}
          function stale() return #kept, kept:getstring(), kept:segment(0, 1) == nil end
          function touch() return kept:getbyte(0) end`;
        withScript(fd, { name: "data-sock", target: "sock", script: keep }, () => {
          assert.deepEqual(testRun(fd, "data-sock", "PING"), { ok: true, error: null, errorLines: [], kind: "sock", accept: true });
          assert.deepEqual(callValues(testRun(fd, "data-sock", "PONG", { fn: "stale" })), [0, bytes(""), true]);
          runFails(testRun(fd, "data-sock", "", { fn: "touch" }), /out of bounds/);
        });
      });
    },
  },
  {
    name: "xdplua.udp_reply turns a UDP packet into its reply, resized, with valid checksums",
    run: (fd) => {
      const script = `
        function callback(pkt)
          local q = pkt:segment(42):getstring()
          return xdplua.udp_reply(pkt, q == "short" and "ok" or data.new("answer to " .. q))
        end
        function segment(pkt) return xdplua.udp_reply(pkt:segment(0), "x") end
        function notudp(pkt) pkt:setbyte(23, 6) return xdplua.udp_reply(pkt, "x") end`;
      const query = (payload: string): Buffer => {
        const eth = Buffer.from("aaaaaaaaaaaa" + "bbbbbbbbbbbb" + "0800", "hex");
        const ip = Buffer.from("45000000" + "00004000" + "40110000" + "c0a80001" + "c0a80002", "hex");
        const udp = Buffer.from("d431003500000000", "hex");
        const body = Buffer.from(payload);
        ip.writeUInt16BE(20 + 8 + body.length, 2);
        udp.writeUInt16BE(8 + body.length, 4);
        return Buffer.concat([eth, ip, udp, body]);
      };
      const sum = (...parts: Buffer[]): number => {
        const b = Buffer.concat(parts);
        let s = 0;
        for (let i = 0; i < b.length; i += 2) s += (b[i]! << 8) | (b[i + 1] ?? 0);
        while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
        return s;
      };
      const check = (reply: Uint8Array, payload: string): void => {
        const b = Buffer.from(reply);
        assert.equal(b.length, 42 + payload.length);
        assert.equal(b.subarray(0, 12).toString("hex"), "bbbbbbbbbbbbaaaaaaaaaaaa");
        assert.equal(b.subarray(26, 34).toString("hex"), "c0a80002c0a80001");
        assert.equal(b.subarray(34, 38).toString("hex"), "0035d431");
        assert.equal(b.readUInt16BE(16), 28 + payload.length);
        assert.equal(b.readUInt16BE(38), 8 + payload.length);
        assert.equal(b.subarray(42).toString(), payload);
        assert.equal(sum(b.subarray(14, 34)), 0xffff, "IPv4 header checksum");
        const pseudo = Buffer.concat([b.subarray(26, 34), Buffer.from([0, 17]), b.subarray(38, 40)]);
        assert.equal(sum(pseudo, b.subarray(34)), 0xffff, "UDP checksum");
      };
      return withScript(fd, { name: "udp", target: "xdp", script }, () => {
        const grown = testRun(fd, "udp", query("what is it?"));
        assert.ok(grown.kind === "xdp" && grown.ok && grown.action === 3, JSON.stringify(grown));
        if (grown.kind === "xdp") check(grown.packet, "answer to what is it?");
        const shrunk = testRun(fd, "udp", query("short"));
        if (shrunk.kind === "xdp") check(shrunk.packet, "ok");
        runFails(testRun(fd, "udp", query("x"), { fn: "segment" }), /the packet itself, not a segment/);
        runFails(testRun(fd, "udp", query("x"), { fn: "notudp" }), /udp_reply: not a UDP packet/);
      });
    },
  },
  {
    name: "errors pass traffic through, are counted, and keep their line",
    run: (fd) => {
      const script = `function callback(pkt)\n  local t = nil\n  return t.field\nend\nfunction recv() error("boom") end`;
      return withScript(fd, { name: "err", target: "xdp", script }, () => {
        const r = testRun(fd, "err", "x");
        runFails(r, /^err:3: attempt to index a nil value/);
        assert.equal(r.kind === "xdp" && r.action, 2);
        const st = stats(fd, "err");
        assert.equal(st.errors, 1);
        assert.equal(st.lastErrorLine, 3);
        assert.match(st.lastError ?? "", /^err:3:/);
        runFails(testRun(fd, "err", "x", { fn: "recv" }), /^err:5: boom/);
        assert.equal(stats(fd, "err").errors, 2);
        const tls = withScript(fd, { name: "err-tls", target: "tls", script: "function recv() error('x') end" }, () =>
          testRun(fd, "err-tls", "x"),
        );
        // The reply carries the failing frame's line: error() on line 1 of the chunk.
        assert.deepEqual({ ...tls, error: null }, { ok: false, error: null, errorLines: [1], kind: "tls", code: 0, file: null });
        const sock = withScript(fd, { name: "err-sock", target: "sock", script: "function process() error('x') end" }, () =>
          testRun(fd, "err-sock", "x"),
        );
        assert.deepEqual({ ...sock, error: null }, { ok: false, error: null, errorLines: [1], kind: "sock", accept: true });
      });
    },
  },
  {
    name: "load errors: name taken, bad target, missing entry, unknown script",
    run: (fd) => {
      withScript(fd, { name: "dup", target: "sock", script: SOCK }, () => {
        kscriptError(() => load(fd, { name: "dup", target: "sock", script: SOCK }), "EEXIST", /already loaded/);
      });
      kscriptError(() => request(fd, Op.load, ["t", "ebpf", "x", "function x() end"]), "EINVAL", /unknown target/);
      kscriptError(() => load(fd, { name: "noentry", target: "tls", script: "x = 1" }), "ENOEXEC", /entry 'recv' is not a function/);
      kscriptError(() => load(fd, { name: "bad name", target: "tls", script: TLS }), "EINVAL", /names use/);
      kscriptError(() => load(fd, { name: "syntax", target: "tls", script: "function recv(" }), "ENOEXEC", /^load of 'syntax' failed: syntax:1:/);
      kscriptError(() => unload(fd, "nothere"), "ENOENT", /no script named 'nothere'/);
      kscriptError(() => testRun(fd, "nothere", "x"), "ENOENT");
      assert.deepEqual(list(fd), []);
    },
  },
  {
    name: "infinite loop: instruction budget error, even under pcall",
    run: (fd) => {
      const script = `
        function recv() while true do end end
        function sneaky() while true do pcall(function() while true do end end) end end
        function coro() local co = coroutine.wrap(function() while true do end end) co() end
        function ok() local n = 0 for i = 1, 1000 do n = n + i end return n end`;
      return withScript(fd, { name: "loop", target: "tls", script }, () => {
        const t0 = performance.now();
        runFails(testRun(fd, "loop", "x"), BUDGET_AT("loop:2"));
        const ms = performance.now() - t0;
        runFails(testRun(fd, "loop", "x", { fn: "sneaky" }), BUDGET);
        runFails(testRun(fd, "loop", "x", { fn: "coro" }), BUDGET);
        assert.deepEqual(callValues(testRun(fd, "loop", "x", { fn: "ok" })), [500500]);
        const st = stats(fd, "loop");
        assert.equal(st.budgetHits, 3);
        assert.equal(st.errors, 3);
        const xdp = withScript(fd, { name: "loop-xdp", target: "xdp", script: "function callback() while true do end end" }, () =>
          testRun(fd, "loop-xdp", "x"),
        );
        runFails(xdp, BUDGET);
        assert.equal(xdp.kind === "xdp" && xdp.action, 2);
        return `budget (${DEFAULT_LIMITS.instructions} instructions or ${DEFAULT_LIMITS.time} ms) reached in ${ms.toFixed(0)} ms wall time under TCG`;
      });
    },
  },
  {
    name: "limits: each script runs under its own; the module parameters are ceilings",
    run: (fd) => {
      const script = "function recv(msg) local n = 0 for i = 1, tonumber(msg) do n = n + i end return 0, tostring(n) end";
      const sum = (n: number) => ({ ok: true, error: null, errorLines: [], kind: "tls", code: 0, file: String((n * (n + 1)) / 2) });
      withScript(fd, { name: "tight", target: "tls", script, limits: { instructions: 1000 } }, () => {
        assert.deepEqual(testRun(fd, "tight", "100"), sum(100));
        runFails(testRun(fd, "tight", "5000"), /^tight:1: instruction budget exceeded/);
        assert.deepEqual(list(fd)[0]!.limits, { ...DEFAULT_LIMITS, instructions: 1000 });
        assert.deepEqual(stats(fd, "tight").limits, { ...DEFAULT_LIMITS, instructions: 1000 });
      });
      withScript(fd, { name: "dflt", target: "tls", script }, () => assert.deepEqual(testRun(fd, "dflt", "5000"), sum(5000)));
      const refused: [object, RegExp][] = [
        [{ instructions: KERNEL_CEILINGS.instructions + 1 }, /^instructions 10000001 is above the ceiling 10000000 \(module parameter insn_limit\)$/],
        [{ memory: KERNEL_CEILINGS.memory + 1 }, /above the ceiling .*mem_limit/],
        [{ time: KERNEL_CEILINGS.time + 1 }, /above the ceiling .*time_limit_ms/],
      ];
      for (const [limits, message] of refused) kscriptError(() => load(fd, { name: "over", target: "tls", script, limits }), "EINVAL", message);
      const xdpOver = { instructions: XDP_CEILINGS.instructions + 1 };
      kscriptError(() => load(fd, { name: "over", target: "xdp", script: XDP, limits: xdpOver }), "EINVAL", /the most an xdp call may take/);
      kscriptError(() => request(fd, Op.load, ["over", "tls", "recv", script, -1, null, null]), "EINVAL", /limits are positive integers/);
      assert.deepEqual(list(fd), []);
      withScript(fd, { name: "max", target: "tls", script, limits: KERNEL_CEILINGS }, () => assert.deepEqual(list(fd)[0]!.limits, KERNEL_CEILINGS));
      // An administrator lowers a ceiling: loads above it are refused, and the defaults stay under it.
      const param = "/sys/module/kscript/parameters/insn_limit";
      writeFileSync(param, "5000\n");
      try {
        kscriptError(() => load(fd, { name: "over", target: "tls", script, limits: { instructions: 6000 } }), "EINVAL", /ceiling 5000/);
        withScript(fd, { name: "capped", target: "tls", script }, () => assert.equal(list(fd)[0]!.limits.instructions, 5000));
      } finally {
        writeFileSync(param, `${KERNEL_CEILINGS.instructions}\n`);
      }
    },
  },
  {
    name: "C loops are charged to the budget: patterns, plain find, rep, move, long compares",
    run: (fd) => {
      const script = `
        function recv() end
        function pattern() return string.rep("a", 3000):find(".-.-.-.-b") end
        function plain() local s = string.rep("a", 400000) return s:find(string.rep("a", 200000) .. "b", 1, true) end
        function rep() return #string.rep("", math.maxinteger) end
        function move() return table.move({}, 1, math.maxinteger, 1) end
        function compare()
          local a = string.rep("a", 262144)
          local b = a .. ""
          local n = 0
          for i = 1, 100000000 do if a == b then n = n + 1 end end
          return n
        end
        function fine() return ("k=v; x=y"):gsub("(%w+)=(%w+)", "%2=%1"), #string.rep("ab", 1000, ","), #table.move({1, 2, 3}, 1, 3, 2) end`;
      // The module's ceilings: room for the big strings, so the budget is what ends each call.
      return withScript(fd, { name: "charge", target: "tls", script, limits: KERNEL_CEILINGS }, () => {
        const timings: string[] = [];
        for (const [fn, re] of [
          ["pattern", BUDGET_AT("charge:3")],
          ["plain", BUDGET_AT("charge:4")],
          ["rep", /^charge:5: instruction budget exceeded/],
          ["move", /^charge:6: instruction budget exceeded/],
          ["compare", BUDGET_AT("charge:11")],
        ] as const) {
          const t0 = performance.now();
          runFails(testRun(fd, "charge", "", { fn }), re);
          timings.push(`${fn} ${(performance.now() - t0).toFixed(0)} ms`);
        }
        assert.deepEqual(callValues(testRun(fd, "charge", "", { fn: "fine" })), [bytes("v=k; y=x"), 2999, 4]);
        return timings.join(", ");
      });
    },
  },
  {
    name: "deep Lua recursion is a clean error",
    run: (fd) => {
      const script = `function recv() local function f(n) return 1 + f(n + 1) end return f(1) end`;
      return withScript(fd, { name: "deeplua", target: "tls", script }, () => {
        runFails(testRun(fd, "deeplua", "x"), /stack overflow|not enough memory/);
      });
    },
  },
  {
    name: "deep C recursion (__index functions, gsub callbacks, xpcall handlers) is a clean error",
    run: (fd) => {
      const script = `
        function recv() end
        function index()
          local t = {}
          for i = 1, 2000 do
            local prev = t
            t = setmetatable({}, { __index = function(_, k) return prev[k] end })
          end
          return t.missing
        end
        function gsub()
          local function f(s) return (s:gsub(".", f)) end
          return f("ab")
        end
        function handler()
          local function h(e) return h(e) .. "" end
          local function deep(n) if n == 0 then error("x") end return ("x"):gsub("x", function() return deep(n - 1) end) end
          return xpcall(deep, h, 200)
        end
        function tostr()
          local mt = {}
          mt.__tostring = function(t) return tostring(setmetatable({}, mt)) end
          return tostring(setmetatable({}, mt))
        end
        function patterns()
          local s = string.rep("a", 60)
          local n = 0
          local function at(d)
            if d == 0 then return s:find(string.rep("a?", 60)) end
            local r
            ("x"):gsub("x", function() r = at(d - 1) end)
            return r
          end
          for d = 1, 40 do if pcall(at, d) then n = d end end
          return n
        end
        function concat()
          local mt = {}
          mt.__concat = function(a, b) return setmetatable({}, mt) .. b end
          return setmetatable({}, mt) .. "x"
        end`;
      return withScript(fd, { name: "deepc", target: "tls", script }, () => {
        runFails(testRun(fd, "deepc", "x", { fn: "index" }), /C stack overflow/);
        runFails(testRun(fd, "deepc", "x", { fn: "gsub" }), /C stack overflow/);
        const h = testRun(fd, "deepc", "x", { fn: "handler" });
        assert.ok(h.ok || /stack overflow|error in error handling/.test(h.error ?? ""), String(h.error));
        runFails(testRun(fd, "deepc", "x", { fn: "tostr" }), /C stack overflow/);
        runFails(testRun(fd, "deepc", "x", { fn: "concat" }), /C stack overflow/);
        const depth = callValues(testRun(fd, "deepc", "x", { fn: "patterns" }))[0];
        assert.ok(typeof depth === "number" && depth > 0, `pattern depth ${String(depth)}`);
        return `a 60-item pattern still matched ${depth} gsub levels deep`;
      });
    },
  },
  {
    name: "memory hog hits the per-state cap and the state stays usable",
    run: (fd) => {
      const script = `
        function recv() local t = {} for i = 1, 100000000 do t[i] = i end end
        function rep() return #string.rep(string.rep("x", 1000), 5000) end
        function strings() local t = {} for i = 1, 10000000 do t[i] = tostring(i) .. "-" end end
        function ok() return 1 end`;
      // The ceiling raised, and the script asking for it: the memory cap, not the clock, must end each hog.
      return withTimeLimit(10_000, () => withScript(fd, { name: "hog", target: "tls", script, limits: { time: 10_000 } }, () => {
        runFails(testRun(fd, "hog", "x"), /not enough memory/);
        runFails(testRun(fd, "hog", "x", { fn: "rep" }), /not enough memory/);
        runFails(testRun(fd, "hog", "x", { fn: "strings" }), /not enough memory/);
        assert.deepEqual(callValues(testRun(fd, "hog", "x", { fn: "ok" })), [1]);
        const st = stats(fd, "hog");
        assert.ok(st.memoryHits >= 2, `memory hits ${st.memoryHits}`);
        assert.ok(st.memory <= DEFAULT_LIMITS.memory, `memory ${st.memory}`);
        // 64 KiB a step: an XDP call's wall-clock ceiling is fixed and short, and a slow guest filling the cap
        // integer by integer met it first.
        const xdp = withScript(fd, { name: "hog-xdp", target: "xdp", script: 'function callback() local t, s = {}, string.rep("x", 65536) for i = 1, 100000000 do t[i] = s .. i end end' }, () =>
          testRun(fd, "hog-xdp", "x"),
        );
        runFails(xdp, /not enough memory/);
        return `cap ${DEFAULT_LIMITS.memory} bytes; after the hogs the state holds ${st.memory} bytes`;
      }));
    },
  },
  {
    name: "bytecode cannot be loaded; load and string.dump are absent",
    run: (fd) => {
      const chunk = Buffer.concat([Buffer.from("\x1bLua\x53\x00\x19\x93\r\n\x1a\n", "latin1"), Buffer.alloc(64, 1)]);
      kscriptError(() => load(fd, { name: "bc", target: "tls", script: chunk }), "ENOEXEC", /attempt to load a binary chunk/);
      const script = `
        function recv() end
        function tryload() return load("return 1") end
        function trydump() return string.dump(recv) end
        function trydofile() return dofile("/etc/passwd") end
        function tryio() return io.open("/etc/passwd") end`;
      withScript(fd, { name: "noload", target: "tls", script }, () => {
        runFails(testRun(fd, "noload", "", { fn: "tryload" }), /global 'load'/);
        runFails(testRun(fd, "noload", "", { fn: "trydump" }), /field 'dump'/);
        runFails(testRun(fd, "noload", "", { fn: "trydofile" }), /global 'dofile'/);
        runFails(testRun(fd, "noload", "", { fn: "tryio" }), /global 'io'/);
      });
    },
  },
  {
    name: "floats: numerals refused at load, tonumber gives nil, only integers",
    run: (fd) => {
      for (const numeral of ["1.5", "1e3", "0x1p4", ".5", "3."]) {
        kscriptError(
          () => load(fd, { name: "flt", target: "tls", script: `function recv() return ${numeral} end` }),
          "ENOEXEC",
          /malformed number/,
        );
      }
      const script = `
        function recv() end
        function conv() return tonumber("1.5"), tonumber("10"), tonumber("ff", 16), math.type(1), math.tointeger(7) end
        function coerce() return "10" + 1 end
        function maths() return math.max(3, 9, 2), math.min(3, -9), math.abs(-5), math.ult(1, -1), math.maxinteger, math.mininteger, math.pi end`;
      withScript(fd, { name: "flt", target: "tls", script }, () => {
        assert.deepEqual(callValues(testRun(fd, "flt", "", { fn: "conv" })), [null, 10, 255, bytes("integer"), 7]);
        runFails(testRun(fd, "flt", "", { fn: "coerce" }), /attempt to perform arithmetic on a string value/);
        assert.deepEqual(callValues(testRun(fd, "flt", "", { fn: "maths" })), [
          9,
          -9,
          5,
          true,
          (1n << 63n) - 1n,
          -(1n << 63n),
          null,
        ]);
      });
    },
  },
  {
    name: "'/' and '^' raise Lua errors; '//', '%' and integer formats work",
    run: (fd) => {
      kscriptError(() => load(fd, { name: "div", target: "tls", script: "function recv() return 1 / 2 end" }), "ENOEXEC", /integer-only: '\/'/);
      kscriptError(() => load(fd, { name: "pow", target: "tls", script: "function recv() return 2 ^ 2 end" }), "ENOEXEC", /integer-only: '\^'/);
      const script = `
        function recv() end
        function div() local a, b = 7, 2 return a / b end
        function pow() local a, b = 7, 2 return a ^ b end
        function idiv() return 7 // 2, -7 // 2, 7 % -3, 1 << 62, string.format("%d %5x %s %q", 42, 255, "s", 10) end
        function fmt() return string.format("%f", 1) end
        function fmtg() return string.format("%10.3g", 1) end
        function packd() return string.pack("d", 1) end
        function unpackn() return string.unpack("n", string.rep("\\0", 8)) end
        function packi() return string.unpack("<i4", string.pack("<i4", -2)) end
        function zero() return 1 // 0 end`;
      withScript(fd, { name: "ops", target: "tls", script }, () => {
        runFails(testRun(fd, "ops", "", { fn: "div" }), /^ops:3: integer-only: '\/' \(use '\/\/'\) is not supported/);
        runFails(testRun(fd, "ops", "", { fn: "pow" }), /^ops:4: integer-only: '\^'/);
        assert.deepEqual(callValues(testRun(fd, "ops", "", { fn: "idiv" })), [3, -4, -2, 4611686018427387904n, bytes("42    ff s 10")]);
        runFails(testRun(fd, "ops", "", { fn: "fmt" }), /format '%f' is not supported/);
        runFails(testRun(fd, "ops", "", { fn: "fmtg" }), /format '%g' is not supported/);
        runFails(testRun(fd, "ops", "", { fn: "packd" }), /pack format 'd' is not supported/);
        runFails(testRun(fd, "ops", "", { fn: "unpackn" }), /pack format 'n' is not supported/);
        assert.deepEqual(callValues(testRun(fd, "ops", "", { fn: "packi" })), [-2, 5]);
        runFails(testRun(fd, "ops", "", { fn: "zero" }), /^ops:11: attempt to divide by zero/);
      });
    },
  },
  {
    name: "oversized scripts and requests are refused",
    run: (fd) => {
      const big = `function callback() return 2 end\n--${"x".repeat(9000)}`;
      kscriptError(() => load(fd, { name: "big", target: "xdp", script: big }), "EFBIG", /xdp scripts are at most 8192/);
      withScript(fd, { name: "big", target: "tls", script: `function recv() return 0 end\n--${"x".repeat(60000)}` }, () => undefined);
      kscriptError(() => load(fd, { name: "huge", target: "tls", script: "x".repeat(REQUEST_MAX) }), "EMSGSIZE", /too large/);
      const raw = encodeRequest(Op.load, ["raw", "tls", "recv", "x".repeat(REQUEST_MAX)]);
      assert.ok(raw.byteLength > HEADER_SIZE + REQUEST_MAX);
      assert.throws(() => writeSync(fd, raw), /EMSGSIZE/);
      const bad = Buffer.from(encodeRequest(Op.list, []));
      bad.writeUInt16LE(99, 4);
      writeSync(fd, bad);
      const buf = Buffer.alloc(4096);
      const reply = decodeReply(buf.subarray(0, readSync(fd, buf, 0, buf.byteLength, null)));
      assert.equal(reply.status, -93); // EPROTONOSUPPORT
      assert.match(Buffer.from(reply.values[0] as Uint8Array).toString(), /version 99 unsupported/);
    },
  },
  {
    name: "only CAP_SYS_ADMIN may open /dev/kscript",
    run: () => {
      const run = (cmd: string, args: string[], uid?: number): string => {
        const r = spawnSync(cmd, args, { encoding: "utf8", ...(uid === undefined ? {} : { uid, gid: uid }) });
        assert.equal(r.status, 0, r.stderr);
        return r.stdout;
      };
      // Another user: the device node is root's, mode 0600.
      assert.equal(run(process.execPath, [WORKER, "open"], 65534), "EACCES: /dev/kscript needs root (CAP_SYS_ADMIN)");
      // root without CAP_SYS_ADMIN: the module's own check.
      const noAdmin = ["--inh-caps=-sys_admin", "--bounding-set=-sys_admin", "--", process.execPath, WORKER, "open"];
      assert.equal(run("setpriv", noAdmin), "EPERM: /dev/kscript needs root (CAP_SYS_ADMIN)");
      assert.equal(run(process.execPath, [WORKER, "open"]), "opened");
    },
  },
  {
    name: "malformed requests and garbage scripts get error replies, never harm",
    run: (fd) => {
      const rand = replayableRandom(0x5eed);
      const randomBytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => rand(256)));
      const buf = Buffer.alloc(65536);
      let replies = 0;
      let refused = 0;
      for (let i = 0; i < 3000; i++) {
        const body = randomBytes(rand(300));
        // Mostly well-typed values with random content, sometimes raw noise.
        const payload =
          rand(3) === 0
            ? body
            : encodeRequest(Op.load, [body.subarray(0, rand(20)).toString("latin1"), ["xdp", "tls", "sock", "x"][rand(4)]!, "e", body]).subarray(16);
        const req = Buffer.concat([encodeRequest((1 + rand(8)) as (typeof Op)[keyof typeof Op], []).subarray(0, 16), payload]);
        req.writeUInt32LE(rand(10) === 0 ? rand(1000) : payload.length, 12);
        try {
          writeSync(fd, req);
        } catch (err) {
          assert.match(String(err), /EINVAL|EMSGSIZE/);
          refused++;
          continue;
        }
        const reply = decodeReply(buf.subarray(0, readSync(fd, buf, 0, buf.byteLength, null)));
        if (reply.status === 0 && reply.op === Op.load) unload(fd, list(fd)[0]!.name);
        replies++;
      }
      let loaded = 0;
      for (let i = 0; i < 300; i++) {
        const script = Array.from({ length: 1 + rand(200) }, () => "function end local return ( ) = , x y 1 \" ' [[ ]] -- ; . : # ~ { } +"[rand(60)]).join("");
        try {
          load(fd, { name: "garbage", target: "tls", entry: "x", script });
          loaded++;
          unload(fd, "garbage");
        } catch (err) {
          assert.ok(err instanceof KscriptError && err.code === "ENOEXEC", String(err));
        }
      }
      assert.deepEqual(list(fd), []);
      return `${replies} replies and ${refused} refused writes for 3000 malformed requests; ${loaded}/300 garbage scripts loaded`;
    },
  },
  {
    name: "1,000 load/unload cycles return kernel memory to baseline",
    run: (fd) => {
      const cycle = (i: number): void => {
        load(fd, { name: `cycle${i % 3}`, target: i % 2 ? "xdp" : "tls", script: i % 2 ? XDP : TLS });
        testRun(fd, `cycle${i % 3}`, "GET / x");
        unload(fd, `cycle${i % 3}`);
      };
      for (let i = 0; i < 50; i++) cycle(i);
      settle();
      const before = meminfoKb();
      const t0 = performance.now();
      for (let i = 0; i < 1000; i++) cycle(i);
      const ms = performance.now() - t0;
      settle();
      const after = meminfoKb();
      assert.ok(after - before < 1024, `slab+vmalloc grew by ${after - before} kB over 1000 cycles`);
      return `1000 cycles in ${(ms / 1000).toFixed(1)} s; slab+vmalloc ${before} kB → ${after} kB`;
    },
  },
  {
    name: "concurrent test-runs from several processes",
    run: async (fd) => {
      load(fd, { name: "conc-xdp", target: "xdp", script: XDP });
      load(fd, { name: "conc-tls", target: "tls", script: TLS });
      load(fd, { name: "conc-slow", target: "tls", script: "function recv() while true do end end" });
      const procs = 4;
      const runs = 200;
      const t0 = performance.now();
      const outs = await Promise.all(Array.from({ length: procs }, (_, i) => spawnWorker(["runs", String(i), String(runs)]).done));
      const ms = performance.now() - t0;
      const calls = stats(fd, "conc-xdp").calls + stats(fd, "conc-tls").calls;
      for (const n of ["conc-xdp", "conc-tls", "conc-slow"]) unload(fd, n);
      assert.equal(calls, procs * runs * 2);
      return `${procs} processes × ${runs} xdp+tls runs (+ budget-bound calls) in ${(ms / 1000).toFixed(1)} s; ${outs.join("; ")}`;
    },
  },
  {
    name: "unload while a call is in flight waits for it, then the name is gone",
    run: async (fd) => {
      // The ceilings: a call long enough (~0.5 s of TCG) to unload the script in the middle of it.
      load(fd, { name: "inflight", target: "tls", script: "function recv() while true do end end", limits: KERNEL_CEILINGS });
      const w = spawnWorker(["inflight"]);
      await w.started;
      await new Promise((r) => setTimeout(r, 100)); // the worker is now inside the call
      const t0 = performance.now();
      unload(fd, "inflight");
      const unloadMs = performance.now() - t0;
      assert.equal(list(fd).find((s) => s.name === "inflight"), undefined);
      const out = await w.done;
      assert.match(out, /^in-flight: budget exceeded; after: ENOENT$/);
      return `unload returned in ${unloadMs.toFixed(1)} ms while the call ran on`;
    },
  },
];
