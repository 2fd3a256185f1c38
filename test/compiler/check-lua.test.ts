import { describe, expect, it } from "vitest";
import { checkLua, isFloatNumeral } from "../../compiler/check-lua.js";

const check = (text: string, modules: string[] = []) =>
  checkLua(text, { target: "xdp", modules: new Set(modules) }).map((v) => `${v.code}@${v.line}`);

describe("Lua-level check", () => {
  it("tells float numerals by their raw text, as Lua 5.3 reads them", () => {
    for (const raw of ["1.5", "1.", ".5", "1e3", "0x1p4", "0x1.8", "9223372036854775808"]) expect(isFloatNumeral(raw)).toBe(true);
    for (const raw of ["0", "42", "9223372036854775807", "0xffffffffffffffff", "0x7f"]) expect(isFloatNumeral(raw)).toBe(false);
  });

  it("rejects float arithmetic and out-of-dialect globals", () => {
    expect(check("local a = 1 / 2\nlocal b = 2 ^ 3\nlocal c = 1.0\n")).toEqual(["KS2002@1", "KS2003@2", "KS2001@3"]);
    expect(check("io.write('x')\nlocal f = load\nx = 1\n")).toEqual(["KS2004@1", "KS2004@2", "KS2004@3"]);
  });

  it("knows scopes: locals shadow globals, and `local x = x` reads the outer x", () => {
    expect(check("local io = {}\nio.write('x')\n")).toEqual([]);
    expect(check("local os = os\n")).toEqual(["KS2004@1"]);
    expect(check("local function f(debug) return debug end\n")).toEqual([]);
    expect(check("repeat local done = true until done\n")).toEqual([]);
  });

  it("keeps the trimmed libraries trimmed, through aliases and computed keys", () => {
    expect(check("local x = math.floor(3)\nlocal y = math.huge\nlocal z = string.dump\n")).toEqual([
      "KS2005@1",
      "KS2005@2",
      "KS2005@3",
    ]);
    expect(check("local s = string\nreturn s.dump\n")).toEqual(["KS2005@2"]);
    expect(check("local k = 'du' .. 'mp'\nreturn string[k]\n")).toEqual(["KS2009@2"]);
    expect(check("return math.maxinteger, string.format('%d', 1), table.concat({})\n")).toEqual([]);
  });

  it("allows only the bundle's own require, for bundled names", () => {
    const bundle = (call: string) => `local function require(name) return name end\n${call}\n`;
    expect(check(bundle('return require("a")'), ["a"])).toEqual([]);
    expect(check(bundle('return require("b")'), ["a"])).toEqual(["KS2006@2"]);
    expect(check(bundle("local n = 'a'\nreturn require(n)"), ["a"])).toEqual(["KS2006@3"]);
    expect(check('local r = require\nreturn r("a")', ["a"])).toEqual(["KS2007@1"]);
  });

  it("reports a syntax error instead of throwing", () => {
    expect(check("local = 1")).toEqual(["KS2008@1"]);
  });
});
