/**
 * Where a call's budget ends, case by case: each script's `main()` loops over one charged operation (kmod/README.md,
 * "Safety") and counts what it completed in a global; after the budget error, `count()` returns it. The emulator
 * and kscript.ko must fail the same way and report the same count, which pins down the hook's period, every
 * library charge and its unit rule, and that nothing in the script (pcall, an xpcall handler, a coroutine) runs on
 * once the call is over. xdp scripts keep the count in `rcu` instead: their states are per CPU.
 */
import type { Target } from "../../common/dialect.js";
import { Engine } from "../../runtime/engine.js";
import { HookError } from "../../runtime/errors.js";

export interface BudgetCase {
  name: string;
  target: Target;
  /** The instruction budget (the module's insn_limit). */
  budget: number;
  /** Defines `main()` (loops until the budget ends) and `count()`. */
  script: string;
  /**
   * The kernel's wall-clock ceiling may end the call first (xdp: 100 ms in softirq, which 1M instructions pass
   * under qemu TCG): then it fails with `time budget exceeded` having counted less, not more, than the emulator.
   */
  clockMayEndIt?: boolean;
}

/** The outcome of a case on one backend: main's error and what count() then returns. */
export interface BudgetOutcome {
  error: string;
  count: string;
}

const loop = (setup: string, step: string) => `n = 0
${setup}
function main() n = 0 while true do ${step} n = n + 1 end end
function count() return n end`;

const long = (bytes: number, c = "a") => `string.rep("${c}", ${bytes})`;

export const BUDGET_CASES: BudgetCase[] = [
  { name: "the count hook every 1000 instructions", target: "tls", budget: 100_000, script: loop("", "") },
  { name: "a budget that is not a multiple of the hook's period", target: "tls", budget: 123_457, script: loop("local t = {}", "t[n % 7] = n") },
  {
    name: "pcall cannot catch it",
    target: "tls",
    budget: 100_000,
    script: loop("", "pcall(function() while true do n = n + 1 end end) n = n + 1000000"),
  },
  {
    name: "no xpcall message handler runs",
    target: "tls",
    budget: 100_000,
    script: loop("", "xpcall(function() while true do n = n + 1 end end, function() n = n + 1000000 return 0 end)"),
  },
  {
    name: "a coroutine's resumer fails too",
    target: "tls",
    budget: 100_000,
    script: loop("", "local co = coroutine.create(function() while true do n = n + 1 end end) coroutine.resume(co) n = n + 1000000"),
  },
  {
    name: "one budget across coroutines (wrap, pcall inside)",
    target: "tls",
    budget: 100_000,
    script: loop("", "local f = coroutine.wrap(function() for i = 1, 50 do n = n + 1 coroutine.yield() end end) for i = 1, 50 do pcall(f) end"),
  },
  { name: "gsub: the replacement template per match", target: "tls", budget: 200_000, script: loop(`s = ${long(64)} r = ${long(100, "x")}`, "string.gsub(s, 'a', r)") },
  { name: "gsub: pattern steps", target: "tls", budget: 200_000, script: loop(`s = ${long(300)} .. "b"`, "string.gsub(s, '%a-b', '')") },
  { name: "plain find: bytes scanned and candidates", target: "tls", budget: 200_000, script: loop(`s = ${long(3000)} .. "b"`, "string.find(s, 'aab', 1, true)") },
  { name: "plain find: a scan that finds nothing", target: "tls", budget: 200_000, script: loop(`s = ${long(3000)}`, "string.find(s, 'zz', 5, true)") },
  { name: "string.rep copies", target: "tls", budget: 200_000, script: loop("", "string.rep('ab', 100)") },
  {
    name: "table.sort comparisons of strings",
    target: "tls",
    budget: 300_000,
    script: loop(`p = ${long(200)} t = {} for i = 1, 40 do t[i] = p .. string.char(100 - i) end`, "local u = {table.unpack(t)} table.sort(u)"),
  },
  { name: "table.sort with a comparator", target: "tls", budget: 200_000, script: loop("t = {} for i = 1, 30 do t[i] = (i * 7) % 31 end", "local u = {table.unpack(t)} table.sort(u, function(a, b) return a > b end)") },
  { name: "string order of long strings", target: "tls", budget: 200_000, script: loop(`a = ${long(4000)} .. "a" b = ${long(4000)} .. "b"`, "local x = a < b") },
  { name: "equality of long strings", target: "tls", budget: 200_000, script: loop(`a = ${long(5000)} .. "a" b = ${long(5000)} .. "b"`, "local x = a == b") },
  { name: "table.insert and table.remove shifts", target: "tls", budget: 200_000, script: loop("t = {} for i = 1, 500 do t[i] = i end", "table.insert(t, 1, 0) table.remove(t, 1)") },
  { name: "table.concat elements", target: "tls", budget: 200_000, script: loop("t = {} for i = 1, 100 do t[i] = 'x' end", "table.concat(t, ',')") },
  { name: "table.unpack elements", target: "tls", budget: 200_000, script: loop("t = {} for i = 1, 100 do t[i] = i end", "table.unpack(t)") },
  { name: "table.move elements", target: "tls", budget: 200_000, script: loop("t = {} for i = 1, 100 do t[i] = i end", "table.move(t, 1, 100, 1, {})") },
  {
    name: "utf8.len, codepoint, offset and codes",
    target: "tls",
    budget: 300_000,
    script: loop(`s = ${long(600)} .. utf8.char(8364)`, "utf8.len(s) utf8.codepoint(s, 1, 40) utf8.offset(s, 500) for p, c in utf8.codes(s) do if p > 40 then break end end"),
  },
  { name: "string.format conversions and format bytes", target: "tls", budget: 200_000, script: loop("", "string.format('%d %5x %-3s %q........................', n, n, 'ab', 'q')") },
  { name: "string.pack, unpack and packsize format bytes", target: "tls", budget: 200_000, script: loop("", "string.unpack('<i4 i4 i4', string.pack('<i4 i4 i4', 1, 2, n)) string.packsize('i4i4i4i4')") },
  { name: "tonumber of a long string", target: "tls", budget: 200_000, script: loop(`s = "   " .. ${long(200, " ")} .. "12"`, "tonumber(s) tonumber(s, 16)") },
  {
    name: "xdp calls are capped at 1M instructions whatever the limits say",
    target: "xdp",
    budget: 3_000_000,
    clockMayEndIt: true,
    script: `function callback() return 2 end
function main() local n = 0 while true do n = n + 1 if n % 1000 == 0 then rcu.set("n", n) end end end`,
  },
];

/** Runs a case in the emulator. */
export function emulatorOutcome(c: BudgetCase): BudgetOutcome {
  const engine = new Engine(c.script, { target: c.target, chunkName: "budget", limits: { instructions: c.budget } });
  let error = "no error";
  try {
    engine.state().call("main", [], 0);
  } catch (e) {
    if (!(e instanceof HookError)) throw e;
    error = e.luaMessage;
  }
  const count = c.target === "xdp" ? engine.rcu.get("n") : engine.state().call("count", [], 1)[0];
  return { error, count: String(count) };
}
