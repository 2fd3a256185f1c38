/** Values crossing between TypeScript and a hook's Lua state. */
import { lua } from "./fengari64.js";
import { DataRef, pushData, toDataRef } from "./bindings/data.js";
import { int, wrap, type Int } from "./kint.js";

/* eslint-disable @typescript-eslint/no-explicit-any -- Fengari states are untyped. */

/**
 * A Lua value the runtime can pass or return: strings are byte strings (one char per byte, latin1); integers
 * are numbers, or bigints outside ±(2^53 - 1), where a number would no longer be exact.
 */
export type LuaValue = undefined | boolean | number | bigint | string | Uint8Array | DataRef | LuaOpaque;

/** A returned value with no TypeScript counterpart (table, function, …), named by its Lua type. */
export class LuaOpaque {
  constructor(readonly type: string) {}
}

export function pushValue(L: any, v: LuaValue): void {
  if (v === undefined) lua.lua_pushnil(L);
  else if (typeof v === "boolean") lua.lua_pushboolean(L, v);
  else if (typeof v === "number" || typeof v === "bigint") lua.lua_pushinteger(L, fromTs(v));
  else if (typeof v === "string") lua.lua_pushstring(L, latin1Bytes(v));
  else if (v instanceof Uint8Array) lua.lua_pushstring(L, v);
  else if (v instanceof DataRef) pushData(L, v);
  else throw new TypeError(`cannot pass a ${v.type} into Lua`);
}

export function fromLua(L: any, idx: number): LuaValue {
  switch (lua.lua_type(L, idx)) {
    case lua.LUA_TNIL:
      return undefined;
    case lua.LUA_TBOOLEAN:
      return lua.lua_toboolean(L, idx);
    case lua.LUA_TNUMBER:
      return toTs(lua.lua_tointeger(L, idx));
    case lua.LUA_TSTRING:
      return latin1(lua.lua_tolstring(L, idx));
    case lua.LUA_TUSERDATA: {
      return toDataRef(L, idx) ?? new LuaOpaque("userdata");
    }
    default:
      return new LuaOpaque(latin1(lua.lua_typename(L, lua.lua_type(L, idx))));
  }
}

/** A Lua integer for TypeScript: a number while it is exact as one, else a bigint. */
export function toTs(v: Int): number | bigint {
  return typeof v === "bigint" && v >= -(2n ** 53n - 1n) && v <= 2n ** 53n - 1n ? Number(v) : v;
}

/** A TypeScript integer in the emulator's canonical form (kint.ts). */
export function fromTs(v: number | bigint): Int {
  if (typeof v === "bigint") {
    if (BigInt.asIntN(64, v) !== v) throw new RangeError(`${v} does not fit a 64-bit Lua integer`);
    return wrap(v);
  }
  if (!Number.isSafeInteger(v)) throw new RangeError(`${v} is not a Lua integer (pass integers beyond 2^53 as bigint)`);
  return int(v);
}

/** A byte string given as a JS string, one char per byte; a char above U+00FF is a mistake, not a byte. */
export function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new RangeError(`'${s[i]}' is not a byte: pass text as UTF-8 bytes (new TextEncoder().encode(s))`);
    out[i] = c;
  }
  return out;
}

export function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}
