/**
 * Hostile scripts, loaded through /dev/kscript as text (no compiler in the way). Each one tries to hold a
 * CPU, the module or kernel memory; every call must end within its limits, counted, with the state usable
 * for the next call. The runner (main.ts) calls `fn` once and checks the error, the stats and the kernel log.
 */
import type { Target } from "../../../common/dialect.js";

export interface HostileCase {
  name: string;
  /** What the case tries (for the closing report: one time per class and phase). */
  class: string;
  target?: Target;
  /** Lua defining `fn`; entries and `ok()` come first (PRELUDE), so the script may replace an entry. */
  script: string;
  /** The function called: default `hostile` (a plain call); "" calls the target's entry as its hook would. */
  fn?: string;
  /** The call's error. */
  error: RegExp;
  /** Which stats counter the failure must raise besides `errors`. */
  counts: "budget" | "memory" | "none";
  /** Also run at the maximum limits (the slow phase: one case per class). */
  max?: boolean;
}

/** The entries of every target, and `ok()`: after each hostile call the same state must answer it. */
export const PRELUDE = `
function recv() return 0 end
function process() return true end
function callback() return 2 end
function ok() return 1 end
`;

export const BUDGET = /(instruction|time) budget exceeded/;

const spin = "while true do end";

export const CASES: HostileCase[] = [
  // Loops and the budget's one notion of "over".
  { name: "plain loop", class: "loop", script: `function hostile() ${spin} end`, error: BUDGET, counts: "budget", max: true },
  {
    name: "pcall around a loop, in a loop",
    class: "pcall",
    script: `function hostile() while true do pcall(function() ${spin} end) end end`,
    error: BUDGET,
    counts: "budget",
    max: true,
  },
  {
    name: "xpcall handler loops after a budget error",
    class: "xpcall handler",
    script: `function hostile() return xpcall(function() ${spin} end, function() ${spin} end) end`,
    error: BUDGET,
    counts: "budget",
    max: true,
  },
  {
    name: "xpcall handler loops after a plain error",
    class: "xpcall handler",
    script: `function hostile() return xpcall(function() error("plain") end, function() ${spin} end) end`,
    error: BUDGET,
    counts: "budget",
  },
  {
    name: "xpcall handler retries the loop with pcall",
    class: "xpcall handler",
    script: `
      local function h() while true do pcall(function() ${spin} end) end end
      function hostile() return xpcall(function() ${spin} end, h) end`,
    error: BUDGET,
    counts: "budget",
  },
  {
    name: "error object whose __tostring loops, caught and printed",
    class: "error objects",
    script: `
      local mt = { __tostring = function() ${spin} end }
      function hostile() local _, e = pcall(error, setmetatable({}, mt)) return tostring(e) end`,
    error: BUDGET,
    counts: "budget",
  },
  {
    name: "error object whose __tostring loops, uncaught",
    class: "error objects",
    script: `
      local mt = { __tostring = function() ${spin} end }
      function hostile() error(setmetatable({}, mt)) end`,
    error: BUDGET,
    counts: "budget",
  },
  {
    name: "print of a value whose __tostring loops",
    class: "error objects",
    script: `function hostile() print(setmetatable({}, { __tostring = function() ${spin} end })) end`,
    error: BUDGET,
    counts: "budget",
  },
  // Finalizers.
  {
    name: "__gc is refused",
    class: "finalizers",
    script: `function hostile() for i = 1, 1000 do setmetatable({}, { __gc = function() ${spin} end }) end end`,
    error: /'__gc' metamethods are not supported/,
    counts: "none",
  },
  {
    name: "__gc added after setmetatable never runs",
    class: "finalizers",
    script: `
      function hostile()
        local mt = {}
        for i = 1, 2000 do setmetatable({}, mt) end
        mt.__gc = function() ${spin} end
        local junk = {}
        for i = 1, 200000 do junk[i % 100 + 1] = { i } end
        ${spin}
      end`,
    error: BUDGET,
    counts: "budget",
  },
  // Metamethods and coroutines.
  {
    name: "__index loops",
    class: "metamethods",
    script: `
      local mt = { __index = function() ${spin} end }
      function hostile() return setmetatable({}, mt).x end`,
    error: BUDGET,
    counts: "budget",
  },
  {
    name: "metamethod recursion through pcall",
    class: "metamethods",
    script: `
      local mt = {}
      mt.__lt = function(a, b) while true do pcall(function() return a < b end) end end
      function hostile() local a = setmetatable({}, mt) return a < setmetatable({}, mt) end`,
    error: BUDGET,
    counts: "budget",
  },
  {
    name: "coroutine catches the budget with pcall inside",
    class: "coroutines",
    script: `function hostile() return coroutine.wrap(function() while true do pcall(function() ${spin} end) end end)() end`,
    error: BUDGET,
    counts: "budget",
    max: true,
  },
  {
    name: "resume of looping coroutines in a loop",
    class: "coroutines",
    script: `function hostile() while true do coroutine.resume(coroutine.create(function() ${spin} end)) end end`,
    error: BUDGET,
    counts: "budget",
  },
  {
    name: "coroutine yields forever across pcall",
    class: "coroutines",
    script: `
      function hostile()
        local co = coroutine.wrap(function() while true do pcall(coroutine.yield) end end)
        while true do co() end
      end`,
    error: BUDGET,
    counts: "budget",
  },
  // Recursion.
  { name: "endless tail calls", class: "recursion", script: `local function f() return f() end function hostile() return f() end`, error: BUDGET, counts: "budget" },
  {
    name: "deep recursion under pcall in a loop",
    class: "recursion",
    script: `local function f(n) return 1 + f(n + 1) end function hostile() while true do pcall(f, 1) end end`,
    error: BUDGET,
    counts: "budget",
  },
  // Memory.
  {
    name: "memory hog",
    class: "memory",
    script: `function hostile() local t, k = {}, string.rep("x", 1024) for i = 1, 1 << 40 do t[i] = string.rep(k, 64) end end`,
    error: /not enough memory/,
    counts: "memory",
    max: true,
  },
  {
    name: "allocation-failure storm: pcall'd failing concatenations near the cap",
    class: "allocation storm",
    // Fill the cap with small live tables, then fail a small allocation under pcall, forever: each refusal
    // makes Lua run a full collection of the whole heap first.
    script: `
      function hostile()
        local head
        local function grow() head = { head } end
        local function alloc() return {} end
        while pcall(grow) do end
        while true do pcall(alloc) end
      end`,
    // Out of time while out of memory, the budget's message itself may not fit: Lua's preallocated one then.
    error: /budget exceeded|not enough memory/,
    counts: "budget",
    max: true,
  },
  // C loops.
  {
    name: "backtracking pattern",
    class: "patterns",
    script: `function hostile() return string.rep("a", 5000):find(".-.-.-.-b") end`,
    error: BUDGET,
    counts: "budget",
  },
  {
    name: "gsub: empty pattern, long %0 replacement",
    class: "patterns",
    script: `function hostile() return #string.rep("a", 100000):gsub("", string.rep("%0", 20000)) end`,
    error: BUDGET,
    counts: "budget",
    max: true,
  },
  {
    name: "plain find scanning a long string in a loop",
    class: "patterns",
    script: `function hostile() local s = string.rep("a", 1 << 20) while true do s:find("\\0", 1, true) end end`,
    error: BUDGET,
    counts: "budget",
  },
  {
    name: "sort over references to one long string",
    class: "sort",
    script: `
      function hostile()
        local s, t = string.rep("x", 100000), {}
        for i = 1, 30000 do t[i] = s end
        table.sort(t)
      end`,
    error: BUDGET,
    counts: "budget",
    max: true,
  },
  {
    name: "sort with a looping comparator",
    class: "sort",
    script: `function hostile() local t = {} for i = 1, 100 do t[i] = i end table.sort(t, function() ${spin} end) end`,
    error: BUDGET,
    counts: "budget",
  },
  {
    name: "long string comparisons in a loop",
    class: "string compare",
    script: `
      function hostile()
        local a, b = string.rep("x", 1 << 20), string.rep("x", 1 << 20)
        while true do local _ = a == b, a < b end
      end`,
    error: BUDGET,
    counts: "budget",
    max: true,
  },
  {
    name: "table.insert and table.remove at the front of a big table",
    class: "table functions",
    script: `
      function hostile()
        local t = {}
        for i = 1, 100000 do t[i] = i end
        while true do table.insert(t, 1, 0) table.remove(t, 1) end
      end`,
    error: BUDGET,
    counts: "budget",
  },
  {
    name: "table.concat, unpack and move over huge ranges",
    class: "table functions",
    script: `
      function hostile()
        local t = {}
        for i = 1, 50000 do t[i] = "" end
        while true do table.concat(t) select("#", table.unpack(t)) table.move(t, 1, 50000, 1) end
      end`,
    error: BUDGET,
    counts: "budget",
  },
  {
    name: "string.rep of the empty string, maxinteger times",
    class: "string functions",
    script: `function hostile() return #string.rep("", math.maxinteger) end`,
    error: BUDGET,
    counts: "budget",
  },
  {
    name: "utf8.len, utf8.offset and tonumber over a long string in a loop",
    class: "string functions",
    script: `
      function hostile()
        local s = string.rep("7", 1 << 20)
        while true do utf8.len(s) utf8.offset(s, -1) tonumber(s) end
      end`,
    error: BUDGET,
    counts: "budget",
  },
  {
    name: "format and pack with long formats in a loop",
    class: "string functions",
    script: `
      function hostile()
        local f, p = string.rep("%%", 100000), string.rep("i1", 100000)
        while true do string.format(f) string.packsize(p) end
      end`,
    error: BUDGET,
    counts: "budget",
  },
  {
    name: "next over a big emptied table in a loop",
    class: "table functions",
    script: `
      function hostile()
        local t = {}
        for i = 1, 100000 do t[i] = i end
        for i = 1, 100000 do t[i] = nil end
        while true do next(t) end
      end`,
    error: BUDGET,
    counts: "budget",
  },
  // Softirq: xdp calls run with bottom halves off, under the small limits of that context.
  { name: "xdp: plain loop", class: "xdp (softirq)", target: "xdp", fn: "", script: `function callback() ${spin} end`, error: BUDGET, counts: "budget", max: true },
  {
    name: "xdp: xpcall handler loops",
    class: "xdp (softirq)",
    target: "xdp",
    script: `function hostile() return xpcall(function() ${spin} end, function() ${spin} end) end`,
    error: BUDGET,
    counts: "budget",
  },
  {
    name: "xdp: gsub with a long %0 replacement",
    class: "xdp (softirq)",
    target: "xdp",
    script: `function hostile() return #string.rep("a", 50000):gsub("", string.rep("%0", 20000)) end`,
    error: BUDGET,
    counts: "budget",
  },
  {
    name: "sock: coroutine catching the budget",
    class: "coroutines",
    target: "sock",
    fn: "",
    script: `function process() return coroutine.wrap(function() while true do pcall(function() ${spin} end) end end)() end`,
    error: BUDGET,
    counts: "budget",
  },
];

/** Cases the runner drives itself (several requests, processes or frames), by phase. */
export const SCENARIOS = {
  default: [
    "load: a top-level loop and a top-level xpcall handler loop",
    "unload while a hostile call is in flight",
    "several processes: hostile calls, loads and unloads at once; ls stays quick",
    "malformed frames",
    "unload of a state filled to its cap",
    "300 hostile load/run/unload cycles: kernel memory returns to baseline",
  ],
  max: ["unload of a state filled to its cap"],
} as const;

export type Phase = keyof typeof SCENARIOS;

/**
 * The module parameters of each phase. "max" is the largest a script may ask for here: instructions without
 * a practical bound (time ends the call), 12 s of wall clock (more than the 10 s the soft-lockup detector
 * allows a CPU, with watchdog_thresh=5) and 64 MiB per state.
 */
export const LIMITS: Record<Phase, { insn_limit: number; time_limit_ms: number; mem_limit: number }> = {
  default: { insn_limit: 10_000_000, time_limit_ms: 1000, mem_limit: 4 << 20 },
  max: { insn_limit: 1e12, time_limit_ms: 12_000, mem_limit: 64 << 20 },
};

export interface HostileResult {
  phase: Phase;
  name: string;
  class: string;
  ok: boolean;
  detail: string;
  /** From the start of the call to its end (scenarios: the whole scenario). */
  ms: number;
}
