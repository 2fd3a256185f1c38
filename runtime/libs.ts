/**
 * Library functions replaced in Fengari because they compute with exact 64-bit integers or must format
 * byte-for-byte as C Lua 5.3.6 does (glibc printf in the C locale): string.format, pack, unpack, packsize,
 * rep, char, and table.insert, remove, move, concat, unpack. Each is a port of the function of the same name in
 * lstrlib.c / ltablib.c, with what kscript.ko adds to them (kmod/lua/patches, klua.c): float formats refused,
 * and their work charged to the budget where the kernel charges it.
 */
import { lauxlib, lua, to_luastring } from "./fengari64.js";
import { big, pos, wrap, MAXINTEGER, type Int } from "./kint.js";

/* eslint-disable @typescript-eslint/no-explicit-any -- Fengari states are untyped. */
type LuaState = any;

const enc = (s: string) => to_luastring(s);
const argerror = (L: LuaState, arg: number, msg: string): never => lauxlib.luaL_argerror(L, arg, enc(msg)) as never;
const argcheck = (L: LuaState, ok: boolean, arg: number, msg: string): void => {
  if (!ok) argerror(L, arg, msg);
};
const error = (L: LuaState, msg: string): never => lauxlib.luaL_error(L, enc("%s"), enc(msg)) as never;

/** Charges `cost` steps to the call's instruction budget, as the kernel's kscript_lua_charge does. */
export function charge(L: LuaState, cost: bigint | number): void {
  L.l_G.kcharge?.(L, cost);
}

/** A buffer about to hold `bytes` bytes: refused before it is made when the memory cap forbids it. */
function reserve(L: LuaState, bytes: number): void {
  L.l_G.kmeter?.reserve(bytes);
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The string as C sees it through `const char *`: up to the first NUL. */
function cstring(s: Uint8Array): Uint8Array {
  const z = s.indexOf(0);
  return z < 0 ? s : s.subarray(0, z);
}

const isdigit = (c: number | undefined) => c !== undefined && c >= 48 && c <= 57;
const iscntrl = (c: number) => c < 32 || c === 127;
const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

// ---------------------------------------------------------------------------------------------- format

/** One printf conversion of an integer as glibc does it (flags "-+ #0", width, precision; C locale). */
function printfInteger(flags: string, width: number, precision: number | undefined, conv: string, n: Int): string {
  const signed = conv === "d" || conv === "i";
  const v = signed ? big(n) : BigInt.asUintN(64, big(n));
  const neg = v < 0n;
  let digits = (neg ? -v : v).toString(conv === "o" ? 8 : conv === "x" || conv === "X" ? 16 : 10);
  if (conv === "X") digits = digits.toUpperCase();
  if (precision !== undefined) digits = precision === 0 && v === 0n ? "" : digits.padStart(precision, "0");
  let prefix = "";
  if (signed) prefix = neg ? "-" : flags.includes("+") ? "+" : flags.includes(" ") ? " " : "";
  else if (flags.includes("#")) {
    if (conv === "o" && !digits.startsWith("0")) digits = "0" + digits;
    if ((conv === "x" || conv === "X") && v !== 0n) prefix = conv === "x" ? "0x" : "0X";
  }
  return pad(prefix, digits, width, flags, precision === undefined);
}

function pad(prefix: string, body: string, width: number, flags: string, zeroAllowed: boolean): string {
  const len = prefix.length + body.length;
  if (len >= width) return prefix + body;
  if (flags.includes("-")) return prefix + body + " ".repeat(width - len);
  if (flags.includes("0") && zeroAllowed) return prefix + "0".repeat(width - len) + body;
  return " ".repeat(width - len) + prefix + body;
}

/** `%q`: a Lua literal (addliteral in lstrlib.c). */
function quoted(L: LuaState, arg: number): Uint8Array {
  switch (lua.lua_type(L, arg)) {
    case lua.LUA_TSTRING: {
      const s: Uint8Array = lua.lua_tolstring(L, arg);
      const out: number[] = [34];
      for (let i = 0; i < s.length; i++) {
        const c = s[i];
        if (c === 34 || c === 92 || c === 10) out.push(92, c);
        else if (iscntrl(c)) {
          // Lua strings end in a NUL: the byte after the last one is never a digit.
          out.push(92, ...bytes(isdigit(s[i + 1]) ? String(c).padStart(3, "0") : String(c)));
        } else out.push(c);
      }
      out.push(34);
      return Uint8Array.from(out);
    }
    case lua.LUA_TNUMBER: {
      const n: Int = lua.lua_tointeger(L, arg);
      return bytes(n === -(2n ** 63n) ? "0x8000000000000000" : String(n));
    }
    case lua.LUA_TNIL:
    case lua.LUA_TBOOLEAN: {
      const s = lauxlib.luaL_tolstring(L, arg);
      lua.lua_pop(L, 1);
      return s;
    }
    default:
      return argerror(L, arg, "value has no literal form");
  }
}

/**
 * As the kernel's kscript_lua_format: float conversions are refused before formatting starts, then one
 * instruction is charged per conversion (`%%` is none) and per 16 bytes of the format.
 */
function formatGuard(L: LuaState, fmt: Uint8Array): void {
  const p = cstring(fmt);
  let cost = Math.floor(fmt.length / 16);
  for (let i = p.indexOf(37); i >= 0; i = p.indexOf(37, i)) {
    i++;
    if (p[i] === 37) {
      i++;
      continue;
    }
    while (i < p.length && "-+ #0123456789.".includes(String.fromCharCode(p[i]))) i++;
    if (i < p.length && "aAeEfFgG".includes(String.fromCharCode(p[i]))) {
      error(L, `integer-only: format '%${String.fromCharCode(p[i])}' is not supported`);
    }
    cost++;
  }
  charge(L, cost);
}

function str_format(L: LuaState): number {
  const top = lua.lua_gettop(L);
  let arg = 1;
  const fmt: Uint8Array = lauxlib.luaL_checklstring(L, arg);
  formatGuard(L, fmt);
  const parts: Uint8Array[] = [];
  let total = 0;
  const add = (b: Uint8Array) => {
    parts.push(b);
    total += b.length;
  };
  let literal = 0; // start of the pending run of plain bytes
  let i = 0;
  while (i < fmt.length) {
    if (fmt[i] !== 37) {
      i++;
      continue;
    }
    add(fmt.subarray(literal, i));
    i++;
    if (fmt[i] === 37) {
      add(bytes("%"));
      literal = ++i;
      continue;
    }
    if (++arg > top) argerror(L, arg, "no value");
    // scanformat: flags, two digits of width, '.', two digits of precision.
    const start = i;
    while (i < fmt.length && fmt[i] !== 0 && "-+ #0".includes(String.fromCharCode(fmt[i]))) i++;
    if (i - start >= 6) error(L, "invalid format (repeated flags)");
    const flags = String.fromCharCode(...fmt.subarray(start, i));
    let width = 0;
    for (let k = 0; k < 2 && isdigit(fmt[i]); k++) width = width * 10 + fmt[i++] - 48;
    let precision: number | undefined;
    if (fmt[i] === 46) {
      i++;
      precision = 0;
      for (let k = 0; k < 2 && isdigit(fmt[i]); k++) precision = precision * 10 + fmt[i++] - 48;
    }
    if (isdigit(fmt[i])) error(L, "invalid format (width or precision too long)");
    const modified = i > start;
    // Past the end is the string's terminating NUL, as in C.
    const conv = i < fmt.length ? fmt[i] : 0;
    i++;
    switch (String.fromCharCode(conv)) {
      case "c": {
        const c = Number(BigInt.asUintN(8, big(lauxlib.luaL_checkinteger(L, arg))));
        const body = String.fromCharCode(c);
        add(bytes(pad("", body, width, flags, false)));
        break;
      }
      case "d":
      case "i":
      case "o":
      case "u":
      case "x":
      case "X":
        add(bytes(printfInteger(flags, width, precision, String.fromCharCode(conv), lauxlib.luaL_checkinteger(L, arg))));
        break;
      case "q":
        add(quoted(L, arg));
        break;
      case "s": {
        const s: Uint8Array = lauxlib.luaL_tolstring(L, arg);
        lua.lua_pop(L, 1);
        if (!modified) add(s);
        else {
          argcheck(L, s.indexOf(0) < 0, arg, "string contains zeros");
          if (precision === undefined && s.length >= 100) add(s);
          else {
            const cut = precision === undefined ? s : s.subarray(0, precision);
            const body = String.fromCharCode(...cut);
            add(bytes(pad("", body, width, flags, false)));
          }
        }
        break;
      }
      default:
        lauxlib.luaL_error(L, enc("invalid option '%%%c' to 'format'"), conv);
    }
    literal = i;
  }
  add(fmt.subarray(literal, fmt.length));
  reserve(L, total);
  lua.lua_pushstring(L, concat(parts, total));
  return 1;
}

// ------------------------------------------------------------------------------------ pack / unpack

const MAXINTSIZE = 16;
const MAXSIZE = 2147483647;
const MAXALIGN = 8;
const SZINT = 8;

type KOption = "int" | "uint" | "char" | "string" | "zstr" | "padding" | "paddalign" | "nop";

interface Header {
  L: LuaState;
  little: boolean;
  maxalign: number;
}

/** A format string read as C reads it (`*fmt != '\0'`). */
class Fmt {
  i = 0;
  constructor(readonly s: Uint8Array) {}
  peek(): number {
    return this.i < this.s.length ? this.s[this.i] : 0;
  }
}

function getnum(f: Fmt, df: number): number {
  if (!isdigit(f.peek())) return df;
  let a = 0;
  do a = a * 10 + (f.s[f.i++] - 48);
  while (isdigit(f.peek()) && a <= (MAXSIZE - 9) / 10);
  return a;
}

function getnumlimit(h: Header, f: Fmt, df: number): number {
  const sz = getnum(f, df);
  if (sz > MAXINTSIZE || sz <= 0) lauxlib.luaL_error(h.L, enc("integral size (%d) out of limits [1,%d]"), sz, MAXINTSIZE);
  return sz;
}

function getoption(h: Header, f: Fmt): { opt: KOption; size: number } {
  const opt = f.peek();
  f.i++;
  switch (String.fromCharCode(opt)) {
    case "b": return { opt: "int", size: 1 };
    case "B": return { opt: "uint", size: 1 };
    case "h": return { opt: "int", size: 2 };
    case "H": return { opt: "uint", size: 2 };
    case "l": case "j": return { opt: "int", size: 8 };
    case "L": case "J": case "T": return { opt: "uint", size: 8 };
    case "i": return { opt: "int", size: getnumlimit(h, f, 4) };
    case "I": return { opt: "uint", size: getnumlimit(h, f, 4) };
    case "s": return { opt: "string", size: getnumlimit(h, f, 8) };
    case "c": {
      const size = getnum(f, -1);
      if (size === -1) error(h.L, "missing size for format option 'c'");
      return { opt: "char", size };
    }
    case "z": return { opt: "zstr", size: 0 };
    case "x": return { opt: "padding", size: 1 };
    case "X": return { opt: "paddalign", size: 0 };
    case " ": break;
    case "<": h.little = true; break;
    case ">": h.little = false; break;
    case "=": h.little = true; break;
    case "!": h.maxalign = getnumlimit(h, f, MAXALIGN); break;
    default: lauxlib.luaL_error(h.L, enc("invalid format option '%c'"), opt);
  }
  return { opt: "nop", size: 0 };
}

function getdetails(h: Header, totalsize: number, f: Fmt): { opt: KOption; size: number; ntoalign: number } {
  const { opt, size } = getoption(h, f);
  let align = size;
  if (opt === "paddalign") {
    if (f.peek() === 0) argerror(h.L, 1, "invalid next option for option 'X'");
    else {
      const next = getoption(h, f);
      align = next.size;
      if (next.opt === "char" || align === 0) argerror(h.L, 1, "invalid next option for option 'X'");
    }
  }
  let ntoalign = 0;
  if (align > 1 && opt !== "char") {
    if (align > h.maxalign) align = h.maxalign;
    if ((align & (align - 1)) !== 0) argerror(h.L, 1, "format asks for alignment not power of 2");
    ntoalign = (align - (totalsize & (align - 1))) & (align - 1);
  }
  return { opt, size, ntoalign };
}

function packint(out: number[], n: bigint, little: boolean, size: number, neg: boolean): void {
  const b = new Array<number>(size);
  let u = BigInt.asUintN(64, n);
  for (let i = 0; i < size; i++) {
    b[little ? i : size - 1 - i] = i >= SZINT ? (neg ? 0xff : 0) : Number(u & 0xffn);
    u >>= 8n;
  }
  out.push(...b);
}

/** As the kernel's kscript_lua_packformat: the float formats f, d and n are refused; one instruction per byte. */
function packGuard(L: LuaState): Uint8Array {
  const fmt = cstring(lauxlib.luaL_checklstring(L, 1));
  const bad = fmt.findIndex((c) => c === 102 || c === 100 || c === 110);
  if (bad >= 0) lauxlib.luaL_error(L, enc("integer-only: pack format '%c' is not supported"), fmt[bad]);
  charge(L, fmt.length);
  return fmt;
}

function str_pack(L: LuaState): number {
  const f = new Fmt(packGuard(L));
  const h: Header = { L, little: true, maxalign: 1 };
  const out: number[] = [];
  let arg = 1;
  let totalsize = 0;
  while (f.peek() !== 0) {
    const { opt, size, ntoalign } = getdetails(h, totalsize, f);
    totalsize += ntoalign + size;
    for (let k = 0; k < ntoalign; k++) out.push(0);
    arg++;
    switch (opt) {
      case "int": {
        const n = big(lauxlib.luaL_checkinteger(L, arg));
        if (size < SZINT) {
          const lim = 1n << BigInt(size * 8 - 1);
          argcheck(L, -lim <= n && n < lim, arg, "integer overflow");
        }
        packint(out, n, h.little, size, n < 0n);
        break;
      }
      case "uint": {
        const n = big(lauxlib.luaL_checkinteger(L, arg));
        if (size < SZINT) argcheck(L, BigInt.asUintN(64, n) < 1n << BigInt(size * 8), arg, "unsigned overflow");
        packint(out, n, h.little, size, false);
        break;
      }
      case "char": {
        const s: Uint8Array = lauxlib.luaL_checklstring(L, arg);
        argcheck(L, s.length <= size, arg, "string longer than given size");
        out.push(...s);
        for (let k = s.length; k < size; k++) out.push(0);
        break;
      }
      case "string": {
        const s: Uint8Array = lauxlib.luaL_checklstring(L, arg);
        argcheck(L, size >= 8 || s.length < 2 ** (size * 8), arg, "string length does not fit in given size");
        packint(out, BigInt(s.length), h.little, size, false);
        out.push(...s);
        totalsize += s.length;
        break;
      }
      case "zstr": {
        const s: Uint8Array = lauxlib.luaL_checklstring(L, arg);
        argcheck(L, s.indexOf(0) < 0, arg, "string contains zeros");
        out.push(...s, 0);
        totalsize += s.length + 1;
        break;
      }
      case "padding":
        out.push(0);
        arg--;
        break;
      default:
        arg--;
    }
  }
  lua.lua_pushstring(L, Uint8Array.from(out));
  return 1;
}

function str_packsize(L: LuaState): number {
  const f = new Fmt(packGuard(L));
  const h: Header = { L, little: true, maxalign: 1 };
  let totalsize = 0;
  while (f.peek() !== 0) {
    const d = getdetails(h, totalsize, f);
    const size = d.size + d.ntoalign;
    argcheck(L, totalsize <= MAXSIZE - size, 1, "format result too large");
    totalsize += size;
    if (d.opt === "string" || d.opt === "zstr") argerror(L, 1, "variable-length format");
  }
  lua.lua_pushinteger(L, totalsize);
  return 1;
}

function unpackint(L: LuaState, s: Uint8Array, at: number, little: boolean, size: number, signed: boolean): bigint {
  const byte = (i: number) => s[at + (little ? i : size - 1 - i)];
  const limit = Math.min(size, SZINT);
  let res = 0n;
  for (let i = limit - 1; i >= 0; i--) res = (res << 8n) | BigInt(byte(i));
  if (size < SZINT) {
    if (signed) res = BigInt.asIntN(size * 8, res);
  } else {
    res = BigInt.asIntN(64, res);
    if (size > SZINT) {
      const mask = !signed || res >= 0n ? 0 : 0xff;
      for (let i = limit; i < size; i++) {
        if (byte(i) !== mask) lauxlib.luaL_error(L, enc("%d-byte integer does not fit into Lua Integer"), size);
      }
    }
  }
  return res;
}

/** posrelat of lstrlib.c for a size_t result. */
function posrelat(p: number, len: number): number {
  if (p >= 0) return p;
  if (-p > len) return 0;
  return len + p + 1;
}

function str_unpack(L: LuaState): number {
  const f = new Fmt(packGuard(L));
  const data: Uint8Array = lauxlib.luaL_checklstring(L, 2);
  const ld = data.length;
  let at = posrelat(pos(lauxlib.luaL_optinteger(L, 3, 1)), ld) - 1;
  argcheck(L, at >= 0 && at <= ld, 3, "initial position out of string");
  const h: Header = { L, little: true, maxalign: 1 };
  let n = 0;
  while (f.peek() !== 0) {
    const { opt, size, ntoalign } = getdetails(h, at, f);
    if (at + ntoalign + size > ld) argerror(L, 2, "data string too short");
    at += ntoalign;
    lauxlib.luaL_checkstack(L, 2, enc("too many results"));
    n++;
    switch (opt) {
      case "int":
      case "uint":
        lua.lua_pushinteger(L, wrap(unpackint(L, data, at, h.little, size, opt === "int")));
        break;
      case "char":
        lua.lua_pushstring(L, data.slice(at, at + size));
        break;
      case "string": {
        const len = unpackint(L, data, at, h.little, size, false);
        argcheck(L, BigInt.asUintN(64, len) + BigInt(at + size) <= BigInt(ld), 2, "data string too short");
        lua.lua_pushstring(L, data.slice(at + size, at + size + Number(len)));
        at += Number(len);
        break;
      }
      case "zstr": {
        // strlen: up to a NUL, or to the terminating NUL every Lua string has.
        const z = data.indexOf(0, at);
        const len = (z < 0 ? ld : z) - at;
        lua.lua_pushstring(L, data.slice(at, at + len));
        at += len + 1;
        break;
      }
      default:
        n--;
    }
    at += size;
  }
  lua.lua_pushinteger(L, at + 1);
  return n + 1;
}

// ------------------------------------------------------------------------------------------------ rep

function str_rep(L: LuaState): number {
  const s: Uint8Array = lauxlib.luaL_checklstring(L, 1);
  const count = lauxlib.luaL_checkinteger(L, 2);
  const n = pos(count);
  const sep: Uint8Array = lauxlib.luaL_optlstring(L, 3, enc(""));
  if (n <= 0) {
    lua.lua_pushstring(L, enc(""));
    return 1;
  }
  const l = s.length;
  const lsep = sep.length;
  if (l + lsep > MAXSIZE / n) return error(L, "resulting string too large");
  charge(L, big(count)); // the copies, as the kernel's str_rep charges them
  const total = n * l + (n - 1) * lsep;
  reserve(L, total);
  const out = new Uint8Array(total);
  let at = 0;
  for (let k = 0; k < n; k++) {
    out.set(s, at);
    at += l;
    if (k < n - 1 && lsep > 0) {
      out.set(sep, at);
      at += lsep;
    }
  }
  lua.lua_pushstring(L, out);
  return 1;
}

// ----------------------------------------------------------------------------------------------- char

/** Fengari's str_char passes its message as the argument number, so an out-of-range byte raised garbage. */
function str_char(L: LuaState): number {
  const n = lua.lua_gettop(L);
  const out = new Uint8Array(n);
  for (let i = 1; i <= n; i++) {
    const c = big(lauxlib.luaL_checkinteger(L, i));
    argcheck(L, c >= 0n && c <= 255n, i, "value out of range");
    out[i - 1] = Number(c);
  }
  lua.lua_pushstring(L, out);
  return 1;
}

// ---------------------------------------------------------------------------------------------- table

const TAB_R = 1;
const TAB_W = 2;
const TAB_L = 4;

function checktab(L: LuaState, arg: number, what: number): void {
  if (lua.lua_type(L, arg) === lua.LUA_TTABLE) return;
  let n = 1;
  const field = (key: string) => {
    lua.lua_pushstring(L, enc(key));
    return lua.lua_rawget(L, -++n) !== lua.LUA_TNIL;
  };
  if (
    lua.lua_getmetatable(L, arg) &&
    (!(what & TAB_R) || field("__index")) &&
    (!(what & TAB_W) || field("__newindex")) &&
    (!(what & TAB_L) || field("__len"))
  ) {
    lua.lua_pop(L, n);
  } else lauxlib.luaL_checktype(L, arg, lua.LUA_TTABLE);
}

function aux_getn(L: LuaState, arg: number, what: number): Int {
  checktab(L, arg, what | TAB_L);
  return lauxlib.luaL_len(L, arg);
}

const inc = (i: Int) => wrap(big(i) + 1n);
const dec = (i: Int) => wrap(big(i) - 1n);

function tinsert(L: LuaState): number {
  const e = inc(aux_getn(L, 1, TAB_R | TAB_W));
  let at: Int;
  switch (lua.lua_gettop(L)) {
    case 2:
      at = e;
      break;
    case 3: {
      at = lauxlib.luaL_checkinteger(L, 2);
      argcheck(L, 1 <= at && at <= e, 2, "position out of bounds");
      charge(L, big(e) - big(at)); // the elements moved up
      for (let i = e; i > at; i = dec(i)) {
        lua.lua_geti(L, 1, dec(i));
        lua.lua_seti(L, 1, i);
      }
      break;
    }
    default:
      return error(L, "wrong number of arguments to 'insert'");
  }
  lua.lua_seti(L, 1, at);
  return 0;
}

function tremove(L: LuaState): number {
  const size = aux_getn(L, 1, TAB_R | TAB_W);
  let at: Int = lauxlib.luaL_optinteger(L, 2, size);
  if (at !== size) argcheck(L, 1 <= at && big(at) <= big(size) + 1n, 1, "position out of bounds");
  lua.lua_geti(L, 1, at);
  if (at < size) charge(L, big(size) - big(at)); // the elements moved down
  for (; at < size; at = inc(at)) {
    lua.lua_geti(L, 1, inc(at));
    lua.lua_seti(L, 1, at);
  }
  lua.lua_pushnil(L);
  lua.lua_seti(L, 1, at);
  return 1;
}

function tmove(L: LuaState): number {
  const f = big(lauxlib.luaL_checkinteger(L, 2));
  const e = big(lauxlib.luaL_checkinteger(L, 3));
  const t = big(lauxlib.luaL_checkinteger(L, 4));
  const tt = !lua.lua_isnoneornil(L, 5) ? 5 : 1;
  checktab(L, 1, TAB_R);
  checktab(L, tt, TAB_W);
  if (e >= f) {
    argcheck(L, f > 0n || e < MAXINTEGER + f, 3, "too many elements to move");
    const n = e - f + 1n;
    argcheck(L, t <= MAXINTEGER - n + 1n, 4, "destination wrap around");
    charge(L, n); // the elements, up front, as the kernel's tmove
    if (t > e || t <= f || (tt !== 1 && !lua.lua_compare(L, 1, tt, lua.LUA_OPEQ))) {
      for (let i = 0n; i < n; i++) {
        lua.lua_geti(L, 1, wrap(f + i));
        lua.lua_seti(L, tt, wrap(t + i));
      }
    } else {
      for (let i = n - 1n; i >= 0n; i--) {
        lua.lua_geti(L, 1, wrap(f + i));
        lua.lua_seti(L, tt, wrap(t + i));
      }
    }
  }
  lua.lua_pushvalue(L, tt);
  return 1;
}

function tconcat(L: LuaState): number {
  let last = aux_getn(L, 1, TAB_R);
  const sep: Uint8Array = lauxlib.luaL_optlstring(L, 2, enc(""));
  let i: Int = lauxlib.luaL_optinteger(L, 3, 1);
  last = lauxlib.luaL_optinteger(L, 4, last);
  const parts: Uint8Array[] = [];
  let total = 0;
  const addfield = (k: Int) => {
    lua.lua_geti(L, 1, k);
    if (!lua.lua_isstring(L, -1)) {
      // lstrlib passes the lua_Integer to a "%d", which reads an int: the low 32 bits.
      lauxlib.luaL_error(L, enc("invalid value (%s) at index %d in table for 'concat'"), lauxlib.luaL_typename(L, -1), Number(BigInt.asIntN(32, big(k))));
    }
    const s: Uint8Array = lua.lua_tolstring(L, -1);
    lua.lua_pop(L, 1);
    parts.push(s);
    total += s.length;
    reserve(L, total);
  };
  for (; i < last; i = inc(i)) {
    charge(L, 1);
    addfield(i);
    parts.push(sep);
    total += sep.length;
  }
  if (i === last) addfield(i);
  lua.lua_pushstring(L, concat(parts, total));
  return 1;
}

function tunpack(L: LuaState): number {
  let i: Int = lauxlib.luaL_optinteger(L, 2, 1);
  const e: Int = lua.lua_isnoneornil(L, 3) ? lauxlib.luaL_len(L, 1) : lauxlib.luaL_checkinteger(L, 3);
  if (i > e) return 0;
  const n = BigInt.asUintN(64, big(e) - big(i));
  if (n >= 2147483647n || !lua.lua_checkstack(L, Number(n) + 1)) return error(L, "too many results to unpack");
  charge(L, n + 1n);
  for (; i < e; i = inc(i)) lua.lua_geti(L, 1, i);
  lua.lua_geti(L, 1, e);
  return Number(n) + 1;
}

const REPLACED: Record<string, Record<string, (L: LuaState) => number>> = {
  string: { format: str_format, pack: str_pack, unpack: str_unpack, packsize: str_packsize, rep: str_rep, char: str_char },
  table: { insert: tinsert, remove: tremove, move: tmove, concat: tconcat, unpack: tunpack },
};

/** Replaces the functions above in the opened libraries of the global table on top of the stack. */
export function installExactLibraries(L: LuaState): void {
  for (const [lib, fns] of Object.entries(REPLACED)) {
    lua.lua_getfield(L, -1, enc(lib));
    for (const [name, fn] of Object.entries(fns)) {
      lua.lua_pushcfunction(L, fn);
      lua.lua_setfield(L, -2, enc(name));
    }
    lua.lua_pop(L, 1);
  }
}
