/** `data`: luadata's semantics (lneto/luadata test.lua) plus kscript's byte/16/32-bit accessors. */
import type { ConformanceCase } from "./backend.js";

export const cases: ConformanceCase[] = [
  {
    name: "layout fields: bit offsets, big and little endian, nil out of bounds",
    target: "tls",
    script: `function recv(msg)
  local d = data.new(msg)
  d:layout{uint16be = {0, 16}, uint16le = {0, 16, 'little'}, uint4 = {16, 4}, uint9 = {20, 9}, overflow = {32, 1}}
  return 0, string.format("%x %x %x %x %s %d", d.uint16be, d.uint16le, d.uint4, d.uint9, tostring(d.overflow), #d)
end`,
    input: { calls: [{ msg: "\xaa\xbb\xcc\xdd" }] },
    expect: { calls: [{ code: 0, file: "aabb bbaa c 19b nil 4" }] },
  },
  {
    name: "the {offset=, length=, endian=} form, the {off, len, type, endian} form and a compiled layout",
    target: "tls",
    script: `local l = data.layout{le = {0, 16, 'number', 'le'}, net = {offset = 1, length = 16, endian = 'net'}}
function recv(msg)
  local d = data.new(msg):layout(l)
  return 0, string.format("%x %x", d.le, d.net)
end`,
    input: { calls: [{ msg: "\x12\x34\x56" }] },
    expect: { calls: [{ code: 0, file: "3412 2468" }] },
  },
  {
    name: "writes through fields change the bytes; bits outside the field are kept",
    target: "tls",
    script: `function recv(msg)
  local d = data.new{0x0f}
  d:layout{byte = {0, 8}, lsb = {7, 1}}
  d.lsb = 0
  local b = d.byte
  d.no = 1
  return 0, string.format("%x %s", b, tostring(d.no))
end`,
    input: { calls: [{ msg: "" }] },
    expect: { calls: [{ code: 0, file: "e nil" }] },
  },
  {
    name: "segments share the bytes of their data",
    target: "tls",
    script: `function recv(msg)
  local d2 = data.new(msg)
  local d3 = d2:segment(1, 3)
  d3:layout{u16 = {0, 16}}
  local d4 = d3:segment(1)
  d4:layout{u16 = {0, 16}}
  local before = string.format("%x %x %d %d", d3.u16, d4.u16, #d3, #d4)
  local d5 = d2:segment()
  d5:layout{nib = {16, 4}}
  d5.nib = 0xf
  d2:layout{nib = {16, 4}}
  return 0, string.format("%s %x %x %s", before, d2.nib, d3.u16, tostring(d2:segment(3, 2)))
end`,
    input: { calls: [{ msg: "\xaa\xbb\xcc\xdd" }] },
    expect: { calls: [{ code: 0, file: "bbcc ccdd 3 2 f bbfc nil" }] },
  },
  {
    name: "string fields, 64-bit fields and fields wider than 64 bits",
    target: "tls",
    script: `function recv(msg)
  local d6 = data.new("abcdef")
  d6:layout{str = {0, 6, 's'}, overflow = {1, 6, 's'}}
  local before, over = d6.str, tostring(d6.overflow)
  d6.str = "hij"
  local d = data.new(16)
  d:layout{toobig = {0, 65}, uint64 = {0, 64}}
  d.uint64 = -1
  return 0, before .. " " .. over .. " " .. d6.str .. " " .. tostring(d.toobig) .. " " .. d.uint64
end`,
    input: { calls: [{ msg: "" }] },
    expect: { calls: [{ code: 0, file: "abcdef nil hijdef nil -1" }] },
  },
  {
    name: "data.new from a table, a size, a string; empty is nil",
    target: "tls",
    script: `function recv(msg)
  local a, b, c = data.new{0xff, 0xfe, 0x00}, data.new(2), data.new'\\a'
  c:layout{ascii = {1, 7}}
  return 0, string.format("%d %d %d %d %s %s %s %s", #a, #b, b:getbyte(1), c.ascii,
    tostring(data.new()), tostring(data.new(0)), tostring(data.new{}), tostring(data.new''))
end`,
    input: { calls: [{ msg: "" }] },
    expect: { calls: [{ code: 0, file: "3 2 0 7 nil nil nil nil" }] },
  },
  {
    name: "byte, 16- and 32-bit big-endian accessors; out of bounds is an error",
    target: "tls",
    script: `function recv(msg)
  local d = data.new(msg)
  local r = {d:getbyte(0), d:getuint16(1), d:getuint32(1)}
  d:setuint16(0, 0xbeef)
  d:setbyte(4, 0x1ff)
  d:setuint32(1, 0x01020304)
  r[#r + 1] = (d:getstring(0):gsub(".", function(c) return string.format("%02x", c:byte()) end))
  r[#r + 1] = (d:getstring(3, 2):gsub(".", function(c) return string.format("%02x", c:byte()) end))
  r[#r + 1] = tostring(pcall(d.getbyte, d, 5))
  r[#r + 1] = tostring(pcall(d.getuint32, d, 2))
  return 0, table.concat(r, " ")
end`,
    input: { calls: [{ msg: "\x01\x02\x03\x04\x05" }] },
    expect: { calls: [{ code: 0, file: "1 515 33752069 be01020304 0304 false false" }] },
  },
  {
    name: "a segment reads its own window; names that are no method or field are nil",
    target: "tls",
    script: `function recv(msg)
  local d = data.new(msg)
  local s = d:segment(2, 3):layout({ hi = {0, 4}, word = {4, 16} })
  local r = {s:getbyte(0), s:getbyte(2), s.hi, s.word, tostring(pcall(s.getbyte, s, 3))}
  for _, name in ipairs({"constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"}) do
    r[#r + 1] = tostring(d[name])
  end
  return 0, table.concat(r, " ")
end`,
    input: { calls: [{ msg: "\x01\x02\xab\xcd\xef\x06" }] },
    expect: { calls: [{ code: 0, file: "171 239 10 48350 false nil nil nil nil nil" }] },
  },
  {
    name: "the input's view is one object lent again each call: kept, it shows the call at hand; a kept segment is empty",
    target: "sock",
    script: `function process(buf) return true end
function keep(buf)
  kept, seg = buf, buf:segment(1, 2)
  buf:layout({ x = {0, 8} })
  return string.format("%d %d %d", #seg, seg:getbyte(0), kept.x)
end
function look(buf)
  return string.format("%s %d %d %d %s %s %s", tostring(kept == buf), #kept, kept:getbyte(0), #seg,
    tostring(kept.x), tostring((pcall(seg.getbyte, seg, 0))), tostring(seg:segment(0, 1)))
end`,
    input: { calls: [{ fn: "keep", buf: "ABCD" }, { fn: "look", buf: "Z9" }] },
    expect: { calls: [{ value: "2 66 65" }, { value: "true 2 90 0 nil false nil" }] },
  },
  {
    name: "a sock hook reads the request through a data view",
    target: "sock",
    script: `function process(buf)
  return buf:getstring(0, 4) == "GET " and #buf < 64
end`,
    input: { calls: [{ buf: "GET / HTTP/1.1\r\n\r\n" }, { buf: "POST / HTTP/1.1\r\n\r\n" }] },
    expect: { calls: [{ verdict: true }, { verdict: false }] },
  },
];
