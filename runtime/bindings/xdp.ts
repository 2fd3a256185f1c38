/**
 * `xdp`: the verdicts of an XDP hook. `action` holds the kernel's XDP_* numbers under XDPLua's names
 * (common/dialect.ts XDP_ACTIONS: its samples say `abort`, kscript documents `aborted`; both are 0).
 * `redirect(ifindex)` records the target interface for this packet and returns `action.redirect`.
 */
import { XDP_ACTIONS } from "../../common/dialect.js";
import { lauxlib, lua, to_luastring } from "../fengari64.js";
import { pos } from "../kint.js";
import type { BindingContext } from "./context.js";

/* eslint-disable @typescript-eslint/no-explicit-any -- Fengari states are untyped. */

export type XdpActionName = Exclude<keyof typeof XDP_ACTIONS, "abort">;

export function actionName(code: number): XdpActionName | undefined {
  return (Object.keys(XDP_ACTIONS) as (keyof typeof XDP_ACTIONS)[]).find((k) => k !== "abort" && XDP_ACTIONS[k] === code) as
    | XdpActionName
    | undefined;
}

export function install(L: any, ctx: BindingContext): void {
  lua.lua_createtable(L, 0, 2);
  lua.lua_createtable(L, 0, 6);
  for (const [name, code] of Object.entries(XDP_ACTIONS)) {
    lua.lua_pushinteger(L, code);
    lua.lua_setfield(L, -2, to_luastring(name));
  }
  lua.lua_setfield(L, -2, to_luastring("action"));
  lua.lua_pushcfunction(L, (L1: any) => {
    const ifindex = pos(lauxlib.luaL_checkinteger(L1, 1));
    lauxlib.luaL_argcheck(L1, ifindex > 0, 1, "ifindex must be positive");
    ctx.redirect = ifindex;
    lua.lua_pushinteger(L1, XDP_ACTIONS.redirect);
    return 1;
  });
  lua.lua_setfield(L, -2, to_luastring("redirect"));
}
