/** The engine's sandbox and safety limits: what a hook can touch, and how runaway hooks are stopped. */
import { describe, expect, test } from "vitest";
import { LIBRARIES, allowedGlobals, type Target } from "../../common/dialect.js";
import { Engine, HookError } from "../../runtime/engine.js";

const engine = (code: string, target: Target | "module" = "module", limits = {}) =>
  new Engine(code, { target, chunkName: "t.lua", limits });

/** Runs `main()` and returns the HookError it throws, with the time it took. */
function failure(e: Engine, fn = "main"): { error: HookError; ms: number } {
  const start = performance.now();
  try {
    e.state().call(fn, [], 1);
  } catch (error) {
    if (!(error instanceof HookError)) throw error;
    return { error, ms: performance.now() - start };
  }
  throw new Error(`${fn}() did not fail`);
}

const LIST_GLOBALS = `function main()
  local names = {}
  for k, v in pairs(_ENV) do
    if k ~= "main" then
      names[#names + 1] = k
      if type(v) == "table" then
        for m in pairs(v) do names[#names + 1] = k .. "." .. m end
      end
    end
  end
  table.sort(names)
  return table.concat(names, " ")
end`;

describe("sandbox", () => {
  test.each(["xdp", "tls", "sock", "module"] as const)("a %s hook sees exactly the dialect's globals", (target) => {
    const [listed] = engine(LIST_GLOBALS, target).state().call("main", [], 1);
    const names = new Set(String(listed).split(" "));
    const globals = [...names].filter((n) => !n.includes("."));
    expect(globals.sort()).toEqual([...allowedGlobals(target)].sort());
    for (const [lib, members] of Object.entries(LIBRARIES)) {
      const expected = members.map((m) => `${lib}.${m}`);
      expect([...names].filter((n) => n.startsWith(`${lib}.`)).sort()).toEqual(expected.sort());
    }
  });

  test("no io, os, load, require, dofile, debug, string.dump or math.floor", () => {
    const [r] = engine(
      `function main() return tostring(io) .. tostring(os) .. tostring(load) .. tostring(require) .. tostring(dofile)
        .. tostring(debug) .. tostring(string.dump) .. tostring(math.floor) .. tostring(collectgarbage) end`,
    )
      .state()
      .call("main", [], 1);
    expect(r).toBe("nil".repeat(9));
  });

  test("loads text only: a binary chunk is refused", () => {
    expect(() => engine("\x1bLua\x53\x00")).toThrow(/binary chunk/);
  });

  test("print goes to the hook's log", () => {
    const e = engine(`function main() print("pkt", 42, true) return 0 end`);
    e.state().call("main", [], 1);
    expect(e.logs).toEqual(["pkt\t42\ttrue"]);
  });
});

describe("limits", () => {
  test("an infinite loop fails with the instruction budget within a second, and the state runs on", () => {
    const e = engine(`function main() while true do end end function ok() return 7 end`);
    const { error, ms } = failure(e);
    expect(error.kind).toBe("budget");
    expect(error.message).toMatch(/^t\.lua:1: instruction budget exceeded \(1000000 instructions\)/);
    expect(ms).toBeLessThan(1000);
    expect(e.state().call("ok", [], 1)).toEqual([7]);
  });

  test("pcall cannot keep a hook running past its budget", () => {
    const e = engine(`function main() while true do pcall(function() while true do end end) end end`);
    const { error, ms } = failure(e);
    expect(error.kind).toBe("budget");
    expect(ms).toBeLessThan(1000);
  });

  test("the budget is per call and configurable", () => {
    const code = `function main() local s = 0 for i = 1, 1000 do s = s + i end return s end`;
    expect(engine(code).state().call("main", [], 1)).toEqual([500500]);
    expect(failure(engine(code, "module", { instructions: 500 })).error.kind).toBe("budget");
  });

  test.each([
    // The Lua stack is memory: at 16 bytes a slot, 1 MiB runs out before the 100000-slot stack limit.
    [1 << 20, "memory", /^t\.lua:1: not enough memory/],
    [16 << 20, "stack", /^t\.lua:1: stack overflow/],
  ])("unbounded recursion with a %i-byte cap fails with a %s error within a second", (memory, kind, message) => {
    const code = `local function f(n) return f(n + 1) + 1 end function main() return f(1) end`;
    const { error, ms } = failure(engine(code, "module", { memory }));
    expect(error.kind).toBe(kind);
    expect(error.message).toMatch(message);
    expect(ms).toBeLessThan(1000);
  });

  test("recursion through metamethods (the C stack) fails too", () => {
    const { error } = failure(
      engine(`function main() local t = setmetatable({}, {__index = function(t, k) return t[k + 1] end}) return t[1] end`),
    );
    expect(error.kind).toBe("stack");
  });

  test.each([
    ["a string doubling", `function main() local s = "x" while true do s = s .. s end end`],
    ["a growing table", `function main() local t, i = {}, 0 while true do i = i + 1 t[i] = {i} end end`],
    ["one huge string.rep", `function main() return ("x"):rep(100000000) end`],
    ["data objects kept in a table", `function main() local t = {} while true do t[#t + 1] = data.new(4096) end end`],
    ["one huge data.new", `function main() return data.new(100000000) end`],
  ])("%s fails with the memory cap within a second", (_, code) => {
    const { error, ms } = failure(engine(code, "module", { memory: 1 << 20, instructions: 1e8 }));
    expect(error.kind).toBe("memory");
    expect(error.message).toMatch(/^t\.lua:1: not enough memory/);
    expect(ms).toBeLessThan(1000);
  });

  test("garbage does not count: allocating 20 times the cap in short-lived strings is fine (10 MB kept briefly, 1 MB cap)", () => {
    const e = engine(
      `function main() local n = 0 for i = 1, 1000 do local s = string.rep("y", 10000) .. i n = n + #s end return n end`,
      "module",
      { memory: 1 << 20, instructions: 1e8 },
    );
    expect(e.state().call("main", [], 1)[0]).toBeGreaterThan(10_000_000);
  });

  test("what a hook keeps between calls counts: the cap is reached across calls", () => {
    const e = engine(`cache = {} function main() cache[#cache + 1] = string.rep("z", 100000) .. #cache return #cache end`, "module", {
      memory: 1 << 20,
    });
    let calls = 0;
    expect(() => {
      for (; calls < 100; calls++) e.state().call("main", [], 1);
    }).toThrow(/not enough memory/);
    expect(calls).toBeGreaterThan(5);
    expect(calls).toBeLessThan(12);
  });
});

describe("per-CPU states", () => {
  test("each state has its own globals; rcu is shared by all", () => {
    const e = new Engine(
      `n = 0 function callback() n = n + 1 rcu.set("total", (rcu.get("total") or 0) + 1) return n end`,
      { target: "xdp", chunkName: "cpu.lua", states: 2 },
    );
    expect(e.state(0).call("callback", [], 1)).toEqual([1]);
    expect(e.state(0).call("callback", [], 1)).toEqual([2]);
    expect(e.state(1).call("callback", [], 1)).toEqual([1]);
    expect(e.rcu.get("total")).toBe(3);
    expect(() => e.state(2)).toThrow(RangeError);
  });
});
