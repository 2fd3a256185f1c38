/**
 * The dialect itself (common/dialect.ts), on every backend: what exists, what is refused, and how strings
 * and numbers convert. Written as `tls` hooks because their entry takes and returns plain values.
 */
import { TARGETS, TARGET_ENTRY, environment, type Target } from "../../common/dialect.js";
import type { ConformanceCase } from "./backend.js";

const check = (condition: string): string => `function recv(msg)\n  if ${condition} then return 1 end\n  return 2\nend`;

/** Every name in the state's global environment, two levels down (xdp.action.pass), sorted, space-separated. */
const DUMP = `
function env()
  local out = {}
  local function walk(prefix, t, depth)
    for k, v in pairs(t) do
      out[#out + 1] = prefix .. k
      if type(v) == "table" and depth > 0 then walk(prefix .. k .. ".", v, depth - 1) end
    end
  end
  walk("", _ENV, 2)
  table.sort(out)
  return table.concat(out, " ")
end`;

const ENTRY_BODY: Record<Target, string> = { xdp: "return xdp.action.pass", tls: "return 0", sock: "return true" };

/** A target's whole environment is the table's: its globals, library members and bindings, nothing else. */
const environmentCase = (target: Target): ConformanceCase => ({
  name: `the ${target} environment is exactly common/dialect.ts's`,
  target,
  script: `function ${TARGET_ENTRY[target]}() ${ENTRY_BODY[target]} end\n${DUMP}`,
  input: { calls: [{ fn: "env" }] },
  expect: { calls: [{ value: [...environment(target), TARGET_ENTRY[target], "env"].sort().join(" ") }] },
});

export const cases: ConformanceCase[] = [
  ...TARGETS.map(environmentCase),
  {
    name: "setmetatable refuses __gc: no finalizers",
    target: "tls",
    script: `function recv(msg)
  local mt = setmetatable({}, { __index = function() return 1 end, __gc = false })
  return 1
end`,
    input: { calls: [{ msg: "" }] },
    expect: { calls: [{ error: "'__gc' metamethods are not supported", code: 0 }] },
  },
  {
    name: "__gc set after setmetatable is no finalizer; other metamethods work",
    target: "tls",
    script: check(
      "(function() local mt = { __index = function(_, k) return k * 2 end } local t = setmetatable({}, mt) " +
        "mt.__gc = function() end return t[21] == 42 and getmetatable(t) == mt end)()",
    ),
    input: { calls: [{ msg: "" }] },
    expect: { calls: [{ code: 1 }] },
  },
  {
    name: "only the dialect's globals and library members exist",
    target: "tls",
    script: check(
      "io == nil and os == nil and debug == nil and package == nil and require == nil and load == nil and dofile == nil " +
        "and loadfile == nil and collectgarbage == nil and string.dump == nil and math.floor == nil and math.huge == nil " +
        "and math.pi == nil and math.sqrt == nil and math.random == nil and type(math.tointeger) == 'function' " +
        "and type(string.pack) == 'function' and type(utf8.char) == 'function' and type(coroutine.wrap) == 'function'",
    ),
    input: { calls: [{ msg: "" }] },
    expect: { calls: [{ code: 1 }] },
  },
  {
    name: "tonumber parses integers and refuses floats",
    target: "tls",
    script: check('tonumber("12") == 12 and tonumber("1.5") == nil and tonumber("1e3") == nil and tonumber("ff", 16) == 255 and tonumber(" 7 ") == 7 and tonumber("0x10") == 16'),
    input: { calls: [{ msg: "" }] },
    expect: { calls: [{ code: 1 }] },
  },
  {
    name: "strings never turn into numbers implicitly, and math.tointeger takes numbers only",
    target: "tls",
    script: `function recv(msg)
  if math.tointeger("12") ~= nil or math.tointeger(7) ~= 7 then return 2 end
  return msg + 1
end`,
    input: { calls: [{ msg: "10" }] },
    expect: { calls: [{ error: "attempt to perform arithmetic on a string value", code: 0 }] },
  },
  {
    name: "bitwise operators refuse strings too",
    target: "tls",
    script: `function recv(msg) return msg | 1 end`,
    input: { calls: [{ msg: "10" }] },
    expect: { calls: [{ error: "string", code: 0 }] },
  },
  {
    name: "float division at run time is an error and the data passes",
    target: "tls",
    script: `function recv(msg) return #msg / 2 end`,
    input: { calls: [{ msg: "abcd" }] },
    expect: { calls: [{ error: "", code: 0 }] },
  },
  {
    name: "floor division, modulo and shifts are integer operations",
    target: "tls",
    script: check("7 // 2 == 3 and -7 // 2 == -4 and -7 % 3 == 2 and 1 << 4 == 16 and 256 >> 4 == 16 and 5 & 3 == 1 and math.type(7 // 2) == 'integer'"),
    input: { calls: [{ msg: "" }] },
    expect: { calls: [{ code: 1 }] },
  },
  {
    name: "string.format and string.pack keep to integers",
    target: "tls",
    script: `function recv(msg)
  if string.format("%d:%x:%5s", 42, 255, "ab") ~= "42:ff:   ab" then return 2 end
  if string.unpack(">I2", string.pack(">I2", 513)) ~= 513 then return 3 end
  return string.pack("d", 1)
end`,
    input: { calls: [{ msg: "" }] },
    expect: { calls: [{ error: "", code: 0 }] },
  },
  {
    name: "a library function's argument errors come before its charge, with Lua 5.3's messages",
    target: "tls",
    script: `function recv(msg)
  local ok, e = pcall(table.move, {}, math.mininteger, 2, 1)
  if ok or not string.find(e, "bad argument #3 to '", 1, true) or not string.find(e, "(too many elements to move)", 1, true) then return 2 end
  ok, e = pcall(string.rep, "ab", 1 << 40)
  if ok or not string.find(e, "resulting string too large", 1, true) then return 3 end
  return 1
end`,
    input: { calls: [{ msg: "" }] },
    expect: { calls: [{ code: 1 }] },
  },
  ...(["tls", "sock"] as const).map((target): ConformanceCase => {
    const tls = target === "tls";
    const call = (cpu: number, bytes: string) => ({ cpu, ...(tls ? { msg: bytes } : { buf: bytes }) });
    return {
      name: `${target}: each connection has a state of its own, kept across its calls`,
      target,
      script: `local calls = 0
function ${tls ? "recv(msg)" : "process(buf)"}
  calls = calls + 1
  return ${tls ? "calls" : "calls == 1"}
end`,
      input: { cpus: 2, calls: [call(0, "a"), call(1, "b"), call(0, "c")] },
      expect: { calls: tls ? [{ code: 1 }, { code: 1 }, { code: 2 }] : [{ verdict: true }, { verdict: true }, { verdict: false }] },
    };
  }),
];
