/**
 * The emulator's integers are the kernel's: every case here is one where plain Fengari (32-bit integers)
 * gives a different answer than Debian's lua5.3 (checked below, so each case is a real trap), and the
 * emulator must give lua5.3's answer.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, test } from "vitest";
import { Engine } from "../../runtime/engine.js";
import { RENDER, runNative } from "./lua53.js";

interface Case {
  name: string;
  body: string;
}

const CASES: Case[] = [
  { name: "addition past 2^31-1", body: "local a = 2147483647 return a + 1" },
  { name: "subtraction below -2^31", body: "local a = -2147483647 - 1 return a - 1" },
  { name: "multiplication", body: "local a = 65536 return a * 65536" },
  { name: "negation of -2^31", body: "local a = -2147483647 - 1 return -a" },
  { name: "floor division -2^31 // -1", body: "local a = -2147483647 - 1 return a // -1" },
  { name: "left shift into bit 31", body: "local a = 1 return a << 31" },
  { name: "left shift by 32", body: "local a = 1 return a << 32" },
  { name: "logical right shift of a negative value", body: "local a = -1 return a >> 1" },
  { name: "decimal literal past 2^31-1", body: "return 2147483648" },
  { name: "hexadecimal literal 0xffffffff", body: "return 0xffffffff" },
  { name: "hexadecimal literal past 32 bits", body: "return 0xfffffffff" },
  { name: "constant folding", body: "return 2147483647 + 1" },
  { name: "constant folding wrapping at 2^63", body: "return 9223372036854775807 + 1" },
  { name: "tonumber of a big decimal", body: 'return tonumber("4294967296")' },
  { name: "tonumber with a base", body: 'return tonumber("ffffffff", 16)' },
  { name: "math.abs(-2^31)", body: "return math.abs(-2147483647 - 1)" },
  { name: "math.maxinteger", body: "return math.maxinteger" },
  { name: "math.mininteger wraps on negation", body: "return -math.mininteger" },
  { name: "math.ult across the sign", body: "return tostring(math.ult(2147483647, 2147483648))" },
  { name: "string.unpack of an unsigned 32-bit value", body: 'return (string.unpack(">I4", "\\255\\255\\255\\255"))' },
  { name: "string.unpack of a 16-byte integer", body: 'return (string.unpack("<i16", string.pack("<i16", -(1 << 40))))' },
  { name: "a sum that wraps", body: "local s = 0 for i = 1, 100000 do s = s + i * i * i * i end return s" },
  { name: "an FNV-1a 64 hash", body: 'local h = -3750763034362895579 for _, c in ipairs({string.byte("kscript", 1, -1)}) do h = (h ~ c) * 1099511628211 end return h' },
  { name: "string.format %x of a negative value", body: 'return string.format("%x|%X|%o", -1, -2, -8)' },
  { name: "string.format %q of mininteger", body: 'return string.format("%q", math.mininteger)' },
  { name: "string.packsize of j, J, T, l, L", body: 'return string.packsize("jJTlL")' },
  { name: "string.pack I4 rejects -1", body: 'return tostring((pcall(string.pack, ">I4", -1)))' },
  { name: "for loop stepping past 2^31-1", body: "local n = 0 for i = 2147483640, 2147483647, 5 do n = n + 1 end return n" },
  { name: "integer table keys beyond 32 bits", body: "local t = {} t[1 << 40] = 1 t[(1 << 40) + 1] = 2 return t[1 << 40] + t[1099511627777]" },
  { name: "table.move near 2^31", body: 'return table.concat(table.move({1, 2, 3}, 1, 3, 2147483646), ",", 2147483646, 2147483648)' },
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
    expect(runEmulator(c)).toBe(expected);
  });
});

describe("integer operations against lua5.3 on random operands", () => {
  // Interesting operands: the 32-, 53- and 64-bit edges, small values and pseudo-random ones (from a fixed start, replayable).
  let state = 0x2545f491n;
  const rand = () => (state = BigInt.asUintN(64, state * 6364136223846793005n + 1442695040888963407n)) >> 11n;
  const edges = [0n, 1n, -1n, 2n, -2n, 7n, 31n, 32n, 33n, 63n, 64n, 255n, 65535n, 65536n, 2n ** 31n - 1n, -(2n ** 31n), 2n ** 32n, 2n ** 53n + 1n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n)];
  const operand = () => (rand() & 1n ? edges[Number(rand() % BigInt(edges.length))] : BigInt.asIntN(64, rand() << 11n) >> (rand() % 64n));
  const literal = (v: bigint) => (v === -(2n ** 63n) ? "math.mininteger" : `(${v})`);
  const ops = ["+", "-", "*", "//", "%", "&", "|", "~", "<<", ">>", "<", "<=", "=="];
  const exprs: string[] = [];
  for (let i = 0; i < 650; i++) exprs.push(`local a, b = ${literal(operand())}, ${literal(operand())} return a ${ops[i % ops.length]} b`);
  for (let i = 0; i < 40; i++) exprs.push(`local a = ${literal(operand())} return ${i % 2 ? "-a" : "~a"}`);
  const body = `${RENDER}\nF = {\n${exprs.map((e) => `function() ${e} end,`).join("\n")}\n}\nfunction run(i) return render(pcall(F[i])) end`;

  test("every result is lua5.3's", () => {
    const native = runNative(`${body}\nfor i = 1, #F do io.write(run(i), "\\n") end`).trimEnd().split("\n");
    expect(native).toHaveLength(exprs.length);
    const engine = new Engine(body, { target: "module", chunkName: "ops.lua" });
    native.forEach((expected, i) => expect(engine.state().call("run", [i + 1], 1)[0], exprs[i]).toBe(expected));
    // Results beyond 32 bits must actually occur for the test to mean something.
    expect(native.filter((r) => /^integer -?\d{11,}$/.test(r)).length).toBeGreaterThan(100);
  });
});

test("the ipow helper gives lua5.3's wrapped powers, without a squaring past the last bit", () => {
  const helper = fs.readFileSync(new URL("../../compiler/lualib/kscript/__KS_ipow.lua", import.meta.url), "utf8");
  const exprs = ["__KS_ipow(2, 16)", "__KS_ipow(2, 62)", "__KS_ipow(2, 63)", "__KS_ipow(2, 64)", "__KS_ipow(3, 40)", "__KS_ipow(-7, 23)", "__KS_ipow(65536, 3)", "__KS_ipow(5, 0)"];
  const body = `${helper}\nfunction main() return table.concat({${exprs.join(", ")}}, ",") end`;
  const expected = runNative(`${body}\nio.write(main())`);
  expect(expected.split(",")[0]).toBe("65536");
  expect(new Engine(body, { target: "module", chunkName: "ipow.lua" }).state().call("main", [], 1)[0]).toBe(expected);
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
