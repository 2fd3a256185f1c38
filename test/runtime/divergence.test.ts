/**
 * The emulator never differs silently from the kernel's 64-bit Lua. Every case here is one where plain
 * Fengari gives a different answer than Debian's lua5.3 without any error (checked below, so each case
 * is a real trap); the emulator must give lua5.3's answer or fail naming the operation.
 */
import { createRequire } from "node:module";
import { describe, expect, test } from "vitest";
import { Engine } from "../../runtime/engine.js";
import { HookError } from "../../runtime/errors.js";
import { EXCEEDS } from "../../runtime/kint.js";
import { RENDER, runNative } from "./lua53.js";

interface Case {
  name: string;
  body: string;
  /** The operation the failure must name, or "same" when the emulator computes the 64-bit answer. */
  names: string | "same";
}

const CASES: Case[] = [
  { name: "addition past 2^31-1", body: "local a = 2147483647 return a + 1", names: "2147483647 + 1 = 2147483648" },
  { name: "subtraction below -2^31", body: "local a = -2147483647 - 1 return a - 1", names: "-2147483648 - 1" },
  { name: "multiplication", body: "local a = 65536 return a * 65536", names: "65536 * 65536 = 4294967296" },
  { name: "negation of -2^31", body: "local a = -2147483647 - 1 return -a", names: "-(-2147483648)" },
  { name: "floor division -2^31 // -1", body: "local a = -2147483647 - 1 return a // -1", names: "-2147483648 // -1" },
  { name: "left shift into bit 31", body: "local a = 1 return a << 31", names: "1 << 31 = 2147483648" },
  { name: "left shift by 32", body: "local a = 1 return a << 32", names: "1 << 32 = 4294967296" },
  { name: "logical right shift of a negative value", body: "local a = -1 return a >> 1", names: "-1 >> 1 = 9223372036854775807" },
  { name: "decimal literal past 2^31-1", body: "return 2147483648", names: "numeral 2147483648" },
  { name: "hexadecimal literal 0xffffffff", body: "return 0xffffffff", names: "numeral 0xffffffff = 4294967295" },
  { name: "constant folding", body: "return 2147483647 + 1", names: "2147483647 + 1" },
  { name: "tonumber of a big decimal", body: 'return tonumber("4294967296")', names: "numeral 4294967296" },
  { name: "tonumber with a base", body: 'return tonumber("ffffffff", 16)', names: 'tonumber("ffffffff", 16) = 4294967295' },
  { name: "math.abs(-2^31)", body: "return math.abs(-2147483647 - 1)", names: "-(-2147483648) = 2147483648" },
  { name: "math.maxinteger", body: "return math.maxinteger", names: "math.maxinteger = 9223372036854775807" },
  { name: "string.unpack of an unsigned 32-bit value", body: 'return (string.unpack(">I4", "\\255\\255\\255\\255"))', names: "string.unpack of a 4-byte integer = 4294967295" },
  { name: "a sum that wraps", body: "local s = 0 for i = 1, 100000 do s = s + i * i end return s", names: EXCEEDS },
  { name: "an overflow caught by pcall", body: "local ok, v = pcall(function() local x = 2147483647 return x + 1 end) return v", names: "2147483647 + 1" },
  { name: "string.format %x of a negative value", body: 'return string.format("%x|%X|%o", -1, -2, -8)', names: "same" },
  { name: "string.packsize of j, J, T, l, L", body: 'return string.packsize("jJTlL")', names: "same" },
  { name: "string.pack I4 rejects -1", body: 'return (pcall(string.pack, ">I4", -1))', names: "same" },
  { name: "for loop stepping past 2^31-1", body: "local n = 0 for i = 2147483640, 2147483647, 5 do n = n + 1 end return n", names: "same" },
];

const chunk = (c: Case) => `${RENDER}\nfunction main() return render(pcall(function() ${c.body} end)) end`;

/** Plain Fengari as published (32-bit, no patches), with a budget so a wrapped loop cannot hang the test. */
function runPlainFengari(c: Case): string {
  const { lua, lauxlib, lualib, to_luastring, to_jsstring } = createRequire(import.meta.url)("fengari");
  const L = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(L);
  lua.lua_sethook(L, () => lauxlib.luaL_error(L, to_luastring("budget")), lua.LUA_MASKCOUNT, 10_000_000);
  if (lauxlib.luaL_dostring(L, to_luastring(chunk(c) + "\nreturn main()")) !== 0) return `load error: ${to_jsstring(lua.lua_tostring(L, -1))}`;
  return to_jsstring(lua.lua_tostring(L, -1));
}

function runEmulator(c: Case): string {
  const engine = new Engine(chunk(c), { target: "module", chunkName: "case.lua" });
  const [r] = engine.state().call("main", [], 1);
  return String(r);
}

describe("integer operations where plain Fengari differs silently from 64-bit Lua", () => {
  const native = new Map(CASES.map((c) => [c, runNative(chunk(c) + "\nio.write(main())")]));

  test.each(CASES)("$name", (c) => {
    const expected = native.get(c)!;
    expect(runPlainFengari(c), "plain Fengari must differ from lua5.3 for this case to prove anything").not.toBe(expected);
    if (c.names === "same") {
      expect(runEmulator(c)).toBe(expected);
      return;
    }
    let error: unknown;
    try {
      runEmulator(c);
    } catch (e) {
      error = e;
    }
    expect(error, `lua5.3 says ${expected}; the emulator must fail instead of answering`).toBeInstanceOf(HookError);
    const e = error as HookError;
    expect(e.kind).toBe("divergence");
    expect(e.message).toContain(EXCEEDS);
    expect(e.message).toContain(c.names);
    expect(e.luaMessage).toMatch(/^case\.lua:\d+: /);
  });
});

describe("integer operations against lua5.3 on random operands", () => {
  // Interesting operands: the 32-bit edges, small values and pseudo-random ones (fixed seed: reproducible).
  let seed = 0x2545f491;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) | 0) >> 3);
  const edges = [0, 1, -1, 2, -2, 7, 31, 32, 33, 63, 64, 255, 65535, 65536, 2147483647, -2147483648, 1 << 30, -(1 << 30)];
  const operand = () => (rand() & 1 ? edges[Math.abs(rand()) % edges.length] : rand() >> (Math.abs(rand()) % 31));
  const literal = (v: number) => (v === -2147483648 ? "(-2147483647 - 1)" : `(${v})`);
  const ops = ["+", "-", "*", "//", "%", "&", "|", "~", "<<", ">>"];
  const exprs: string[] = [];
  for (let i = 0; i < 600; i++) {
    const op = ops[i % ops.length];
    exprs.push(`local a, b = ${literal(operand())}, ${literal(operand())} return a ${op} b`);
  }
  for (let i = 0; i < 40; i++) exprs.push(`local a = ${literal(operand())} return ${i % 2 ? "-a" : "~a"}`);
  const body = `${RENDER}\nF = {\n${exprs.map((e) => `function() ${e} end,`).join("\n")}\n}\nfunction run(i) return render(pcall(F[i])) end`;

  test("every result is lua5.3's, or a divergence exactly when lua5.3's does not fit 32 bits", () => {
    const native = runNative(`${body}\nfor i = 1, #F do io.write(run(i), "\\n") end`).trimEnd().split("\n");
    expect(native).toHaveLength(exprs.length);
    const engine = new Engine(body, { target: "module", chunkName: "ops.lua" });
    let diverged = 0;
    native.forEach((expected, i) => {
      const value = /^integer (-?\d+)$/.exec(expected);
      const fits = !value || (BigInt(value[1]) >= -(2n ** 31n) && BigInt(value[1]) < 2n ** 31n);
      if (fits) {
        expect(engine.state().call("run", [i + 1], 1)[0], exprs[i]).toBe(expected);
      } else {
        diverged++;
        expect(() => engine.state().call("run", [i + 1], 1), exprs[i]).toThrow(EXCEEDS);
      }
    });
    // Both kinds of outcome must actually occur for the test to mean something.
    expect(diverged).toBeGreaterThan(20);
    expect(diverged).toBeLessThan(exprs.length - 100);
  });
});

describe("floats, which the kernel's Lua does not have", () => {
  const run = (body: string) => new Engine(`function main() ${body} end`, { target: "module", chunkName: "f.lua" }).state().call("main", [], 1)[0];

  test.each([
    ["/", "local a, b = 7, 2 return a / b", "integer-only: '/' (use '//') is not supported"],
    ["^", "local a = 2 return a ^ 3", "integer-only: '^' is not supported"],
  ])("%s raises the kernel's Lua error where it is", (_, body, message) => {
    expect(() => run(body)).toThrow(`f.lua:1: ${message}`);
    // A Lua error like in the kernel: pcall catches it.
    expect(run(`local ok, e = pcall(function() ${body} end) return tostring(ok) .. " " .. e`)).toBe(`false f.lua:1: ${message}`);
  });

  test("constant division fails too (the kernel refuses it when the chunk loads; the emulator where it is)", () => {
    expect(() => run("return 7 / 2")).toThrow("f.lua:1: integer-only: '/' (use '//') is not supported");
  });

  test("a float numeral does not load, and a float string is not a number", () => {
    expect(() => run("return 1.5")).toThrow(/malformed number near '1.5'/);
    expect(run('return tostring(tonumber("1.5"))')).toBe("nil");
    expect(run('return tonumber("42")')).toBe(42);
    expect(() => run('return "1.5" + 1')).toThrow(/attempt to perform arithmetic on a string value/);
  });
});
