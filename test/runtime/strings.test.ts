/** Byte strings and the string library where plain Fengari differed from C Lua 5.3: each checked against lua5.3. */
import { expect, test } from "vitest";
import { Engine } from "../../runtime/engine.js";
import { RENDER, runNative } from "./lua53.js";

const CASES = [
  ["different bytes are different strings", 'return tostring("\\7\\0" == "p")'],
  ["different bytes are different table keys", 'local t = {} t["\\7\\0"] = 1 t["p"] = 2 return t["\\7\\0"] * 10 + t.p'],
  ["ordering is bytewise", 'return tostring("\\0" < "\\1") .. tostring("a\\255" > "a\\16") .. tostring("ab" < "abc")'],
  ["sort is bytewise", 'local t = {"\\200", "b", "\\16", "B", "\\0"} table.sort(t) return (string.gsub(table.concat(t, ","), "[^%w,]", function(c) return c:byte() end))'],
  ["a back-reference to a position capture", 'return tostring(string.find("xaax", "()a%1"))'],
  ["a frontier after a greedy item that matched nothing", 'return (string.match("Yc%1\\239", "[%w_]*%d?%A?%f[%a]")) .. "|"'],
  ["format flags, widths and precisions", 'return string.format("[%5c][%.0d][%#x][%#o][%-+5d][%.s][%05.3d][% d][%q]", 65, 0, 0, 8, 7, "x", 4, 5, math.mininteger)'],
  ["format counts bytes", 'return table.concat({string.byte(string.format("[%5s][%.2s]", "\\195\\169", "\\195\\169\\195"), 1, -1)}, ",")'],
  ["format errors are Lua errors", 'return select(2, pcall(string.format, "%d", {}))'],
  ["pack of 9..16-byte integers", 'return (string.gsub(string.pack(">i9<I16", -2, 3), ".", function(c) return c:byte() .. "," end))'],
  ["unpack z from an offset", 'return (string.unpack("z", "ab\\0cd", 4))'],
  ["char names the byte out of range", 'return select(2, pcall(string.char, 65, 256)) .. "|" .. select(2, pcall(string.char, -1))'],
] as const;

test.each(CASES)("%s", (_, body) => {
  const chunk = `${RENDER}\nfunction main() return render(pcall(function() ${body} end)) end`;
  const expected = runNative(`${chunk}\nio.write(main())`);
  expect(new Engine(chunk, { target: "module", chunkName: "s.lua" }).state().call("main", [], 1)[0]).toBe(expected);
});
