/**
 * `rcu`: one key/value store shared by every per-CPU state of a hook (and settable from user space in the
 * kernel). Keys are short strings or integers; values are bounded strings, integers or booleans (the bounds:
 * common/dialect.ts RCU_LIMITS); storing nil removes the key. Anything else is a Lua error, so what a hook keeps
 * there is always something the kernel can copy between states.
 */
import { RCU_LIMITS } from "../../common/dialect.js";
import { lauxlib, lua, to_luastring } from "../fengari64.js";
import { latin1 } from "../values.js";
import type { BindingContext, RcuKey, RcuStore, RcuValue } from "./context.js";

/* eslint-disable @typescript-eslint/no-explicit-any -- Fengari states are untyped. */

export type { RcuKey, RcuValue };

/** The shared table; keys are kept as `s:<bytes>` / `i:<n>` so "1" and 1 stay distinct, as in Lua. */
export class SharedRcu implements RcuStore {
  private readonly map = new Map<string, RcuValue>();

  private static slot(key: RcuKey): string {
    return typeof key === "number" ? `i:${key}` : `s:${key}`;
  }

  get(key: RcuKey): RcuValue | undefined {
    return this.map.get(SharedRcu.slot(key));
  }

  set(key: RcuKey, value: RcuValue | undefined): boolean {
    const slot = SharedRcu.slot(key);
    if (value === undefined) this.map.delete(slot);
    else if (!this.map.has(slot) && this.map.size >= RCU_LIMITS.entries) return false;
    else this.map.set(slot, value);
    return true;
  }
}

function checkKey(L: any): RcuKey {
  if (lua.lua_isinteger(L, 1)) return lua.lua_tointeger(L, 1);
  if (lua.lua_type(L, 1) === lua.LUA_TSTRING) {
    const key = latin1(lua.lua_tolstring(L, 1));
    if (key.length >= 1 && key.length <= RCU_LIMITS.keyBytes) return key;
  }
  return lauxlib.luaL_argerror(L, 1, to_luastring(`rcu keys are strings of 1..${RCU_LIMITS.keyBytes} bytes or integers`));
}

export function install(L: any, ctx: BindingContext): void {
  lua.lua_createtable(L, 0, 2);
  lua.lua_pushcfunction(L, (L1: any) => {
    const v = ctx.rcu.get(checkKey(L1));
    if (v === undefined) lua.lua_pushnil(L1);
    else if (typeof v === "boolean") lua.lua_pushboolean(L1, v);
    else if (typeof v !== "string") lua.lua_pushinteger(L1, v);
    else lua.lua_pushstring(L1, Uint8Array.from(v, (c) => c.charCodeAt(0)));
    return 1;
  });
  lua.lua_setfield(L, -2, to_luastring("get"));
  lua.lua_pushcfunction(L, (L1: any) => {
    const key = checkKey(L1);
    const store = (value: RcuValue | undefined) => {
      if (!ctx.rcu.set(key, value)) lauxlib.luaL_error(L1, to_luastring(`rcu table is full (${RCU_LIMITS.entries} entries)`));
    };
    switch (lua.lua_type(L1, 2)) {
      case lua.LUA_TNIL:
      case lua.LUA_TNONE:
        store(undefined);
        break;
      case lua.LUA_TBOOLEAN:
        store(lua.lua_toboolean(L1, 2));
        break;
      case lua.LUA_TNUMBER:
        if (!lua.lua_isinteger(L1, 2)) lauxlib.luaL_argerror(L1, 2, to_luastring("rcu values are integers, not floats"));
        store(lua.lua_tointeger(L1, 2));
        break;
      case lua.LUA_TSTRING: {
        const value = latin1(lua.lua_tolstring(L1, 2));
        if (value.length > RCU_LIMITS.valueBytes) lauxlib.luaL_argerror(L1, 2, to_luastring(`rcu strings are at most ${RCU_LIMITS.valueBytes} bytes`));
        store(value);
        break;
      }
      default:
        lauxlib.luaL_argerror(L1, 2, to_luastring("rcu values are strings, integers or booleans"));
    }
    return 0;
  });
  lua.lua_setfield(L, -2, to_luastring("set"));
}
