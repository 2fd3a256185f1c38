/* SPDX-License-Identifier: MIT */
/*
 * The kernel Lua port's interface: states that speak the kscript dialect and
 * run under a memory cap, an instruction budget and a C-stack guard.
 */
#ifndef KSCRIPT_KLUA_H
#define KSCRIPT_KLUA_H

#include <linux/types.h>
#include <linux/gfp.h>
#include "kconf.h"
#include "lua.h"
#include "lauxlib.h"

/*
 * Frames of a failing call whose lines klua_msgh keeps, for the caller's
 * source map: enough to get out of lualib helpers and callbacks (the
 * emulator looks at as many).
 */
#define KLUA_ERROR_FRAMES	32

/* One per lua_State; it is the state's allocator userdata. */
struct klua_ctx {
	const char *name;	/* script name, for print() and warnings */
	size_t mem_used;
	size_t mem_limit;
	gfp_t gfp;		/* GFP_KERNEL, or GFP_ATOMIC in softirq */
	unsigned long stack_floor;	/* below this the stack is "low" */
	bool overflow;		/* "C stack overflow" raised, not yet unwound */
	u64 insns;		/* instructions run in this call */
	u64 insn_limit;
	u64 time_limit_ns;	/* wall-clock budget of one call */
	u64 budget;		/* instructions this call may run (softirq: fewer) */
	u64 call_time_ns;	/* wall-clock this call may take (softirq: less) */
	u64 deadline_ns;	/* ktime_get_mono_fast_ns(); 0 until first read */
	size_t call_alloc;	/* bytes allocated in this call, the clock unread */
	u64 clock_due;		/* insns at which a C charge checks the clock */
	bool budget_hit;	/* set when the budget ran out, for stats */
	bool mem_hit;		/* set when the allocator refused, for stats */
	bool over;		/* the call is over: nothing may catch its error */
	/* klua_msgh: the failed call's Lua lines, innermost frame first */
	int error_lines[KLUA_ERROR_FRAMES];
	int nerror_lines;
};

/* A new state with the dialect's globals, or NULL when out of memory. */
lua_State *klua_newstate(struct klua_ctx *ctx);
/* Arm the per-call limits; call before every entry into Lua. */
void klua_enter(lua_State *L, gfp_t gfp);
/*
 * The message handler for a protected call into a script: keeps the lines
 * of the frames where the error was raised and turns an error object into
 * text (its __tostring runs under the call's budget). It may run below the
 * stack floor, within the reserve, so that a C stack overflow is reported
 * as such, not as an error in error handling.
 */
int klua_msgh(lua_State *L);
/* Close a state: frees its memory (scripts have no finalizers). */
void klua_close(lua_State *L);

static inline struct klua_ctx *klua_ctx(lua_State *L)
{
	void *ud;

	lua_getallocf(L, &ud);
	return ud;
}

#endif /* KSCRIPT_KLUA_H */
