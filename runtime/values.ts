/** Values crossing between TypeScript and a hook's Lua state. */
import { lua } from "./fengari64.js";
import { DataRef, pushData, toDataRef } from "./bindings/data.js";

/* eslint-disable @typescript-eslint/no-explicit-any -- Fengari states are untyped. */

/** A Lua value the runtime can pass or return: strings are byte strings (one char per byte, latin1). */
export type LuaValue = undefined | boolean | number | string | Uint8Array | DataRef | LuaOpaque;

/** A returned value with no TypeScript counterpart (table, function, …), named by its Lua type. */
export class LuaOpaque {
  constructor(readonly type: string) {}
}

export function pushValue(L: any, v: LuaValue): void {
  if (v === undefined) lua.lua_pushnil(L);
  else if (typeof v === "boolean") lua.lua_pushboolean(L, v);
  else if (typeof v === "number") {
    if (!Number.isInteger(v) || (v | 0) !== v) throw new RangeError(`${v} is not an integer the emulator can pass`);
    lua.lua_pushinteger(L, v);
  } else if (typeof v === "string") lua.lua_pushstring(L, Uint8Array.from(v, (c) => c.charCodeAt(0) & 0xff));
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
      return lua.lua_isinteger(L, idx) ? lua.lua_tointeger(L, idx) : lua.lua_tonumber(L, idx);
    case lua.LUA_TSTRING:
      return latin1(lua.lua_tolstring(L, idx));
    case lua.LUA_TUSERDATA: {
      return toDataRef(L, idx) ?? new LuaOpaque("userdata");
    }
    default:
      return new LuaOpaque(latin1(lua.lua_typename(L, lua.lua_type(L, idx))));
  }
}

export function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}
