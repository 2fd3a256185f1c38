/**
 * `time`: the monotonic clock, as kscript.ko reads it (`ktime_get_ns`, `ktime_get_seconds`): `time.ns()` in
 * nanoseconds and `time.seconds()` in whole seconds, both since the clock's start. The engine's clock follows
 * the host's monotonic clock until a test sets it (`hook.clock`), then stands still where the test puts it.
 */
import { lua, to_luastring } from "../fengari64.js";
import { wrap } from "../kint.js";
import type { BindingContext, Clock } from "./context.js";

/* eslint-disable @typescript-eslint/no-explicit-any -- Fengari states are untyped. */

const NS_PER_SECOND = 1_000_000_000n;

/** The host's monotonic clock, or the time a test set and advanced. */
export class SettableClock implements Clock {
  private fixed: bigint | undefined;

  ns(): bigint {
    return this.fixed ?? process.hrtime.bigint();
  }

  /** Stops the clock at `ns` nanoseconds; it moves only by `advance` from then on. */
  set(ns: bigint | number): void {
    if (BigInt(ns) < 0n) throw new RangeError("the monotonic clock starts at 0");
    this.fixed = BigInt(ns);
  }

  /** Moves a set clock (or the host's reading, which it then keeps) forward by `ns` nanoseconds. */
  advance(ns: bigint | number): void {
    if (BigInt(ns) < 0n) throw new RangeError("a monotonic clock never goes back");
    this.fixed = this.ns() + BigInt(ns);
  }
}

export function install(L: any, ctx: BindingContext): void {
  lua.lua_createtable(L, 0, 2);
  lua.lua_pushcfunction(L, (L1: any) => {
    lua.lua_pushinteger(L1, wrap(ctx.clock.ns()));
    return 1;
  });
  lua.lua_setfield(L, -2, to_luastring("ns"));
  lua.lua_pushcfunction(L, (L1: any) => {
    lua.lua_pushinteger(L1, wrap(ctx.clock.ns() / NS_PER_SECOND));
    return 1;
  });
  lua.lua_setfield(L, -2, to_luastring("seconds"));
}
