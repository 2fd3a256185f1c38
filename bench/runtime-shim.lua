-- The kscript bindings the bench hook uses, in plain Lua, so Debian's lua5.3 can run the same bundle.
-- Same semantics as runtime/bindings for these members: data (new, layout, segment, #, getbyte), xdp.action, rcu.

local Data = {}
local methods = {}

local function view(bytes, off, len)
  return setmetatable({bytes = bytes, off = off, len = len}, Data)
end

local function compile(spec)
  local l = {}
  for name, f in pairs(spec) do l[name] = {f[1] or f.offset, f[2] or f.length} end
  return l
end

Data.__len = function(d) return d.len end
Data.__index = function(d, key)
  local m = methods[key]
  if m then return m end
  local f = d.layout and d.layout[key]
  if not f then return nil end
  local off, len = f[1], f[2]
  if off + len > d.len * 8 then return nil end
  local first, last = off >> 3, (off + len - 1) >> 3
  local v = 0
  for i = first, last do v = (v << 8) | d.bytes[d.off + i + 1] end
  return (v >> ((last + 1) * 8 - off - len)) & ((1 << len) - 1)
end

function methods.layout(d, l)
  if getmetatable(l) ~= "layout" then l = compile(l) end
  d.layout = l
  return d
end

function methods.segment(d, off, len)
  off = off or 0
  len = len or d.len - off
  if off < 0 or len < 0 or off + len > d.len then return nil end
  return view(d.bytes, d.off + off, len)
end

function methods.getbyte(d, i)
  if i < 0 or i >= d.len then error("bad argument #1 to 'getbyte' (out of bounds)", 2) end
  return d.bytes[d.off + i + 1]
end

data = {
  new = function(s) return view({s:byte(1, -1)}, 0, #s) end,
  layout = function(spec) return setmetatable(compile(spec), {__metatable = "layout"}) end,
}

xdp = {action = {aborted = 0, abort = 0, drop = 1, pass = 2, tx = 3, redirect = 4}}

local store = {}
rcu = {
  get = function(k) return store[k] end,
  set = function(k, v) store[k] = v end,
}
