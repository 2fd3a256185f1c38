/**
 * `data`: luadata-style views over bytes (lneto/luadata, as in Lunatik). A data object is a window
 * (offset, length) on a byte buffer; segments share the buffer. Layout fields address bits, MSB 0, in
 * network order unless 'little'/'host'; string fields ('s'/'string') address bytes; a field outside the
 * window, or a number field wider than 64 bits, reads as nil and ignores writes. Methods add byte, 16- and 32-bit big-endian accessors at byte
 * offsets (0-based), which raise an error out of bounds.
 */
import { lauxlib, lua, to_luastring } from "../fengari64.js";
import { big, int, pos, wrap } from "../kint.js";
import type { BindingContext } from "./context.js";

/* eslint-disable @typescript-eslint/no-explicit-any -- Fengari states are untyped. */

/** Backing bytes; replaceable so a packet can grow or shrink (xdplua.udp_reply). */
export class ByteBuffer {
  /** Bumped when a lent buffer's call ends: views made before then read as empty (kmod/core/data.c). */
  gen = 0;
  constructor(
    public bytes: Uint8Array,
    /** Made by the hook (data.new), so held in its Lua state's memory, unlike a packet. */
    readonly owned = false,
  ) {}
}

interface Field {
  offset: number;
  length: number;
  kind: "number" | "string";
  little: boolean;
}
type Layout = Map<string, Field>;

/** A data object: `length` undefined means "to the end of the buffer", as a packet view is. */
export class DataRef {
  layout: Layout | undefined;
  /** The buffer's generation this view belongs to (a lent input's view is renewed by each lend). */
  gen: number;
  /** A lent input's view: one userdata per state, kept in the registry under this reference. */
  registryRef: number | undefined;
  constructor(
    readonly buf: ByteBuffer,
    readonly offset = 0,
    private readonly fixedLength?: number,
  ) {
    this.gen = buf.gen;
  }

  get length(): number {
    if (this.gen !== this.buf.gen) return 0;
    return this.fixedLength ?? Math.max(0, this.buf.bytes.length - this.offset);
  }

  /** The bytes in the window (a live view). */
  view(): Uint8Array {
    return this.buf.bytes.subarray(this.offset, this.offset + this.length);
  }

}

const DATA_MT = "kscript.data";
const LAYOUT_MT = "kscript.data.layout";

/**
 * The data metatable of each state, as a registry reference: an integer key avoids hashing the metatable's
 * name on every packet (pushing data is on the per-packet path).
 */
const metatableRef = new WeakMap<object, number>();

export function pushData(L: any, ref: DataRef): void {
  if (ref.registryRef !== undefined) {
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, ref.registryRef);
    return;
  }
  const ud = lua.lua_newuserdata(L, 0);
  ud.ref = ref;
  lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, metatableRef.get(L.l_G));
  lua.lua_setmetatable(L, -2);
}

/**
 * A hook's input as kscript.ko lends it (kmod/core/data.c): one view per state and input, made once and lent
 * again each call with the call's bytes and no layout; `end` makes every view of the call's bytes read as
 * empty, except that one, which the next lend renews. So a view kept in a global shows the packet of the call
 * at hand, a segment kept past its call reads as empty, and `pkt == kept` holds across calls, as in the kernel.
 */
export class LentInput {
  private readonly ref = new DataRef(new ByteBuffer(new Uint8Array(0)));

  constructor(private readonly L: any) {}

  lend(bytes: Uint8Array): DataRef {
    const { ref } = this;
    ref.buf.bytes = bytes;
    ref.gen = ref.buf.gen;
    ref.layout = undefined;
    if (ref.registryRef === undefined) {
      pushData(this.L, ref);
      ref.registryRef = lauxlib.luaL_ref(this.L, lua.LUA_REGISTRYINDEX);
    }
    return ref;
  }

  end(): void {
    this.ref.buf.gen++;
    this.ref.buf.bytes = new Uint8Array(0);
  }
}

/** Only this binding makes userdata carrying a DataRef, so the reference itself identifies a data object. */
export function toDataRef(L: any, idx: number): DataRef | undefined {
  const ud = lua.lua_touserdata(L, idx);
  return ud && ud.ref instanceof DataRef ? ud.ref : undefined;
}

function checkData(L: any, idx: number): DataRef {
  return toDataRef(L, idx) ?? lauxlib.luaL_argerror(L, idx, to_luastring("data expected"));
}

function bytesOfString(L: any, idx: number): Uint8Array {
  return Uint8Array.from(lauxlib.luaL_checklstring(L, idx) as Uint8Array);
}

function compileLayout(L: any, idx: number): Layout {
  lauxlib.luaL_checktype(L, idx, lua.LUA_TTABLE);
  const layout: Layout = new Map();
  lua.lua_pushnil(L);
  while (lua.lua_next(L, idx) !== 0) {
    const name = lua.lua_tojsstring(L, -2);
    if (lua.lua_type(L, -1) !== lua.LUA_TTABLE) lauxlib.luaL_error(L, to_luastring(`layout field '${name}' must be a table`));
    const get = (index: number, key: string): any => {
      lua.lua_getfield(L, -1, to_luastring(key));
      if (lua.lua_isnil(L, -1)) {
        lua.lua_pop(L, 1);
        lua.lua_geti(L, -1, index);
      }
      const v = lua.lua_isinteger(L, -1) ? pos(lua.lua_tointeger(L, -1)) : lua.lua_isstring(L, -1) ? lua.lua_tojsstring(L, -1) : undefined;
      lua.lua_pop(L, 1);
      return v;
    };
    const offset = get(1, "offset");
    const length = get(2, "length");
    if (typeof offset !== "number" || typeof length !== "number" || offset < 0 || length <= 0) {
      lauxlib.luaL_error(L, to_luastring(`layout field '${name}' needs a non-negative offset and a positive length`));
    }
    // {off, len, endian} as in luadata's README, or {off, len, type[, endian]} as in its test suite.
    let type: string | undefined = get(3, "type");
    let endian: string | undefined = get(4, "endian");
    if (type !== undefined && !["s", "string", "n", "number"].includes(type)) [type, endian] = ["number", type];
    const kind = type === "s" || type === "string" ? "string" : "number";
    if (endian !== undefined && !["big", "net", "be", "little", "host", "le"].includes(endian)) {
      lauxlib.luaL_error(L, to_luastring(`layout field '${name}': unknown endianness '${endian}'`));
    }
    layout.set(name, { offset, length, kind, little: endian === "little" || endian === "host" || endian === "le" });
    lua.lua_pop(L, 1);
  }
  return layout;
}

/** Reads `length` bits at bit `offset` (MSB 0) as an unsigned value; 64-bit fields are two's complement. */
function readBits(bytes: Uint8Array, f: Field): bigint {
  let v = 0n;
  if (f.little && f.offset % 8 === 0 && f.length % 8 === 0) {
    for (let i = f.length / 8 - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[f.offset / 8 + i]);
  } else {
    for (let bit = f.offset; bit < f.offset + f.length; bit++) v = (v << 1n) | BigInt((bytes[bit >> 3] >> (7 - (bit & 7))) & 1);
  }
  return f.length === 64 ? BigInt.asIntN(64, v) : v;
}

/**
 * The common case without BigInt: a big-endian field of at most 31 bits (at most 5 bytes, exact in a double),
 * of the window starting at byte `base` of `bytes`.
 */
function readSmall(bytes: Uint8Array, base: number, f: Field): number {
  const first = f.offset >> 3;
  const last = (f.offset + f.length - 1) >> 3;
  let v = 0;
  for (let i = first; i <= last; i++) v = v * 256 + bytes[base + i];
  const pad = (last + 1) * 8 - (f.offset + f.length);
  return Math.floor(v / 2 ** pad) % 2 ** f.length;
}

function writeBits(bytes: Uint8Array, f: Field, value: bigint): void {
  const v = BigInt.asUintN(f.length, value);
  if (f.little && f.offset % 8 === 0 && f.length % 8 === 0) {
    for (let i = 0; i < f.length / 8; i++) bytes[f.offset / 8 + i] = Number((v >> BigInt(8 * i)) & 0xffn);
    return;
  }
  for (let i = 0; i < f.length; i++) {
    const bit = f.offset + i;
    const one = (v >> BigInt(f.length - 1 - i)) & 1n;
    const mask = 1 << (7 - (bit & 7));
    bytes[bit >> 3] = one ? bytes[bit >> 3] | mask : bytes[bit >> 3] & ~mask;
  }
}

/** luadata reads and writes nothing outside the data, nor numbers wider than lua_Integer. */
function inBounds(ref: DataRef, f: Field): boolean {
  if (f.kind === "number" && f.length > 64) return false;
  return f.kind === "string" ? f.offset + f.length <= ref.length : f.offset + f.length <= ref.length * 8;
}

function checkRange(L: any, ref: DataRef, offset: number, size: number): Uint8Array {
  if (offset < 0 || offset + size > ref.length) lauxlib.luaL_argerror(L, 2, to_luastring("out of bounds"));
  return ref.view();
}

/**
 * Field and method names as JavaScript strings, by the bytes of the Lua string (one array per Lua string
 * object, so a name in a hook's constants is decoded once, not on every packet).
 */
const names = new WeakMap<Uint8Array, string>();
function nameAt(L: any, idx: number): string | undefined {
  if (lua.lua_type(L, idx) !== lua.LUA_TSTRING) return undefined;
  const bytes = lua.lua_tolstring(L, idx) as Uint8Array;
  let name = names.get(bytes);
  if (name === undefined) names.set(bytes, (name = lua.lua_tojsstring(L, idx)));
  return name;
}

const METHODS: Record<string, (L: any) => number> = {
  layout(L) {
    const ref = checkData(L, 1);
    const compiled = lauxlib.luaL_testudata(L, 2, to_luastring(LAYOUT_MT));
    ref.layout = compiled ? (compiled.layout as Layout) : compileLayout(L, 2);
    lua.lua_settop(L, 1);
    return 1;
  },
  segment(L) {
    const ref = checkData(L, 1);
    const offset = pos(lauxlib.luaL_optinteger(L, 2, 0));
    const length = pos(lauxlib.luaL_optinteger(L, 3, ref.length - offset));
    if (offset < 0 || length < 0 || offset + length > ref.length) {
      lua.lua_pushnil(L);
      return 1;
    }
    pushData(L, new DataRef(ref.buf, ref.offset + offset, length));
    return 1;
  },
  getbyte(L) {
    const ref = checkData(L, 1);
    const o = pos(lauxlib.luaL_checkinteger(L, 2));
    if (o < 0 || o >= ref.length) lauxlib.luaL_argerror(L, 2, to_luastring("out of bounds"));
    lua.lua_pushinteger(L, ref.buf.bytes[ref.offset + o]);
    return 1;
  },
  getuint16(L) {
    const ref = checkData(L, 1);
    const o = pos(lauxlib.luaL_checkinteger(L, 2));
    const b = checkRange(L, ref, o, 2);
    lua.lua_pushinteger(L, (b[o] << 8) | b[o + 1]);
    return 1;
  },
  getuint32(L) {
    const ref = checkData(L, 1);
    const o = pos(lauxlib.luaL_checkinteger(L, 2));
    const b = checkRange(L, ref, o, 4);
    const v = b[o] * 2 ** 24 + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
    lua.lua_pushinteger(L, int(v));
    return 1;
  },
  setbyte(L) {
    return setInt(L, 1);
  },
  setuint16(L) {
    return setInt(L, 2);
  },
  setuint32(L) {
    return setInt(L, 4);
  },
  getstring(L) {
    const ref = checkData(L, 1);
    const o = pos(lauxlib.luaL_optinteger(L, 2, 0));
    const n = pos(lauxlib.luaL_optinteger(L, 3, ref.length - o));
    const b = checkRange(L, ref, o, n);
    lua.lua_pushstring(L, b.slice(o, o + n));
    return 1;
  },
};

// Looked up by names a hook chooses: `pkt.constructor` must be nil, as in the kernel, not Object's.
Object.setPrototypeOf(METHODS, null);

/** Big-endian store of the low `size` bytes of an integer, as the C accessors truncate. */
function setInt(L: any, size: number): number {
  const ref = checkData(L, 1);
  const o = pos(lauxlib.luaL_checkinteger(L, 2));
  const v = Number(BigInt.asUintN(32, big(lauxlib.luaL_checkinteger(L, 3))));
  const b = checkRange(L, ref, o, size);
  for (let i = 0; i < size; i++) b[o + i] = (v >>> (8 * (size - 1 - i))) & 0xff;
  return 0;
}

function newData(L: any): number {
  let bytes: Uint8Array;
  switch (lua.lua_type(L, 1)) {
    case lua.LUA_TNUMBER: {
      const size = Math.max(0, pos(lauxlib.luaL_checkinteger(L, 1)));
      L.l_G.kmeter?.reserve(size);
      bytes = new Uint8Array(size);
      break;
    }
    case lua.LUA_TSTRING:
      bytes = bytesOfString(L, 1);
      break;
    case lua.LUA_TTABLE: {
      const n = lua.lua_rawlen(L, 1);
      bytes = new Uint8Array(n);
      for (let i = 1; i <= n; i++) {
        lua.lua_rawgeti(L, 1, i);
        bytes[i - 1] = Number(BigInt.asUintN(8, big(lua.lua_tointeger(L, -1))));
        lua.lua_pop(L, 1);
      }
      break;
    }
    default:
      bytes = new Uint8Array(0);
  }
  if (bytes.length === 0) {
    lua.lua_pushnil(L);
    return 1;
  }
  // The kernel allocates the bytes in the Lua state: they count against the memory cap (heap.ts).
  L.l_G.kmeter?.alloc(bytes.length);
  pushData(L, new DataRef(new ByteBuffer(bytes, true)));
  return 1;
}

export function install(L: any, _ctx: BindingContext): void {
  lauxlib.luaL_newmetatable(L, to_luastring(LAYOUT_MT));
  lua.lua_pop(L, 1);
  lauxlib.luaL_newmetatable(L, to_luastring(DATA_MT));
  lua.lua_pushvalue(L, -1);
  metatableRef.set(L.l_G, lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX));
  lua.lua_pushcfunction(L, (L1: any) => {
    const ref = checkData(L1, 1);
    const key = nameAt(L1, 2);
    if (key === undefined) return 0;
    const method = METHODS[key];
    if (method) {
      lua.lua_pushcfunction(L1, method);
      return 1;
    }
    const f = ref.layout?.get(key);
    if (!f || !inBounds(ref, f)) return 0;
    if (f.kind === "number" && f.length <= 31 && !f.little) {
      lua.lua_pushinteger(L1, readSmall(ref.buf.bytes, ref.offset, f));
      return 1;
    }
    const bytes = ref.view();
    if (f.kind === "string") lua.lua_pushstring(L1, bytes.slice(f.offset, f.offset + f.length));
    else lua.lua_pushinteger(L1, wrap(readBits(bytes, f)));
    return 1;
  });
  lua.lua_setfield(L, -2, to_luastring("__index"));
  lua.lua_pushcfunction(L, (L1: any) => {
    const ref = checkData(L1, 1);
    const key = nameAt(L1, 2);
    const f = key === undefined ? undefined : ref.layout?.get(key);
    if (!f || !inBounds(ref, f)) return 0;
    const bytes = ref.view();
    if (f.kind === "string") {
      const s = bytesOfString(L1, 3).subarray(0, f.length);
      bytes.set(s, f.offset);
    } else writeBits(bytes, f, BigInt(lauxlib.luaL_checkinteger(L1, 3)));
    return 0;
  });
  lua.lua_setfield(L, -2, to_luastring("__newindex"));
  lua.lua_pushcfunction(L, (L1: any) => {
    lua.lua_pushinteger(L1, checkData(L1, 1).length);
    return 1;
  });
  lua.lua_setfield(L, -2, to_luastring("__len"));
  lua.lua_pop(L, 1);

  lua.lua_createtable(L, 0, 2);
  lua.lua_pushcfunction(L, newData);
  lua.lua_setfield(L, -2, to_luastring("new"));
  lua.lua_pushcfunction(L, (L1: any) => {
    const layout = compileLayout(L1, 1);
    const ud = lua.lua_newuserdata(L1, 0);
    ud.layout = layout;
    lauxlib.luaL_setmetatable(L1, to_luastring(LAYOUT_MT));
    return 1;
  });
  lua.lua_setfield(L, -2, to_luastring("layout"));
}
