// SPDX-License-Identifier: MIT
/*
 * The "time" binding (stdlib/time.d.ts): the monotonic clock. time.ns() reads
 * the clock source; time.seconds() is the coarse second the timekeeping core
 * keeps, which costs no clock read. Both are safe in softirq (the xdp hook).
 */
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>
#include "kscript.h"

static int kscript_time_ns(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)ktime_get_ns());
	return 1;
}

static int kscript_time_seconds(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)ktime_get_seconds());
	return 1;
}

static const luaL_Reg kscript_time_funcs[] = {
	{ "ns", kscript_time_ns },
	{ "seconds", kscript_time_seconds },
	{ NULL, NULL }
};

void kscript_time_open(lua_State *L, struct kscript_script *s)
{
	luaL_newlib(L, kscript_time_funcs);
	lua_setglobal(L, "time");
}
