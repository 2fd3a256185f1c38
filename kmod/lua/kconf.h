/* SPDX-License-Identifier: MIT */
/*
 * Lua 5.3 configured for kscript.ko: integer-only, no libc, no FPU.
 *
 * Forced (-include) into every Lua source so that kernel headers come first
 * and Lua's "#if !defined(...)" knobs see these values; kscript's own sources
 * get it through klua.h. Lua's sources change only through patches/ (the
 * budget's charges, and the end of a call that is over).
 */
#ifndef KSCRIPT_KCONF_H
#define KSCRIPT_KCONF_H

/* Every kernel header the shims pull in, before any macro below exists. */
#include <linux/kernel.h>
#include <linux/types.h>
#include <linux/stddef.h>
#include <linux/stdarg.h>
#include <linux/errno.h>
#include <linux/bug.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/ctype.h>
#include <linux/random.h>
#include <linux/printk.h>
#include <limits.h>	/* our shim: plain literals usable in #if */

struct lua_State;

/* Raise a Lua error for an operation the integer-only dialect lacks. */
void kscript_lua_nofloat(struct lua_State *L, const char *what);
/* Dynamic C-call limits: small when the kernel stack runs low (klib.c). */
int kscript_lua_climit(struct lua_State *L);
int kscript_lua_parser_climit(struct lua_State *L);
int kscript_lua_matchdepth(struct lua_State *L);
/* Charge work done in C loops to the call's instruction budget. */
void kscript_lua_charge(struct lua_State *L, unsigned long long cost);
#define KSCRIPT_CHARGE(L, cost)	kscript_lua_charge(L, cost)
/* Bytes scanned or compared without producing memory: one per 16. */
#define KSCRIPT_BYTES(n)	((unsigned long long)(n) / 16)
/* The dialect inside Lua's libraries (patches/dialect-lib.patch, klua.c). */
const char *kscript_lua_packformat(struct lua_State *L, const char *fmt);
const char *kscript_lua_format(struct lua_State *L, const char *fmt,
			       const size_t *len);
void kscript_lua_nogc(struct lua_State *L, int arg);
/* The call's budget or time ran out: nothing in the script may catch it. */
int kscript_lua_over(struct lua_State *L);
#define KSCRIPT_CALL_OVER(L)	kscript_lua_over(L)
/* The memory cap refused an allocation: ends the call if its time is up. */
void kscript_lua_refused(struct lua_State *L);
#define KSCRIPT_ALLOC_REFUSED(L)	kscript_lua_refused(L)
typedef unsigned long kscript_jmp_buf[8];
int kscript_setjmp(kscript_jmp_buf env) __attribute__((returns_twice));
void kscript_longjmp(kscript_jmp_buf env, int val);

#define LUAI_THROW(L, c)	kscript_longjmp((c)->b, 1)
#define LUAI_TRY(L, c, a) \
	do { if (kscript_setjmp((c)->b) == 0) { a } } while (0)
#define luai_jmpbuf		kscript_jmp_buf

/* 5.3 turns strings into floats for arithmetic ("10"+1 is 11.0): refuse. */
#define LUA_NOCVTS2N

#define l_signalT		int
#define luai_makeseed()		((unsigned int)get_random_u32())
#define l_randomizePivot()	((unsigned int)get_random_u32())
#define lua_getlocaledecpoint()	'.'

/* lstrlib's pattern matcher recurses in C: its depth limit is dynamic too. */
#define MAXCCALLS		kscript_lua_matchdepth(L)

#ifdef KSCRIPT_LPARSER
#define LUAI_MAXCCALLS		kscript_lua_parser_climit(ls->L)
#else
#define LUAI_MAXCCALLS		kscript_lua_climit(L)
#endif

/* No float value can exist, so every float operation is an error. */
#define luai_numdiv(L, a, b) \
	((void)(a), (void)(b), kscript_lua_nofloat(L, "'/' (use '//')"), 0)
#define luai_numpow(L, a, b) \
	((void)(a), (void)(b), kscript_lua_nofloat(L, "'^'"), 0)
#define luai_numidiv(L, a, b) \
	((void)(a), (void)(b), kscript_lua_nofloat(L, "float '//'"), 0)
#define luai_nummod(L, a, b, m) \
	{ (void)(a); (void)(b); (m) = 0; kscript_lua_nofloat(L, "float '%'"); }
#define l_hashfloat(n)		((int)((unsigned long long)(n) % INT_MAX))

#define lua_writestring(s, l)	pr_cont("%.*s", (int)(l), (s))
#define lua_writeline()		pr_cont("\n")
#define lua_writestringerror(s, p)	pr_err(s, p)

#include "luaconf.h"

/* What luaconf.h sets unconditionally, overridden: floats are integers. */
#undef LUA_NUMBER
#undef LUAI_UACNUMBER
#undef LUA_NUMBER_FRMLEN
#undef LUA_NUMBER_FMT
#undef l_mathop
#undef l_floor
#undef l_mathlim
#undef lua_str2number
#undef lua_strx2number
#undef lua_number2str
#undef lua_number2strx
#undef l_sprintf
#undef lua_numbertointeger
#undef LUAL_BUFFERSIZE

#define LUA_NUMBER		long long
#define LUAI_UACNUMBER		long long
#define LUA_NUMBER_FRMLEN	"ll"
#define LUA_NUMBER_FMT		"%lld"
/* Any leftover libm call fails to link instead of using the FPU. */
#define l_mathop(op)		kscript_no_libm_##op
#define l_floor(x)		(x)
/* MANT_DIG 64 keeps lvm.c off its int/float range tricks; MAX_10_EXP sizes buffers. */
#define l_mathlim(n)		KSCRIPT_LIM_##n
#define KSCRIPT_LIM_MANT_DIG	64
#define KSCRIPT_LIM_MAX_10_EXP	0
#define lua_numbertointeger(n, p)	(*(p) = (LUA_INTEGER)(n), 1)
/* Integers were already taken by l_str2int: what is left is a float. */
#define lua_str2number(s, p)	(*(p) = (char *)(s), (lua_Number)0)
#define lua_strx2number(s, p)	(*(p) = (char *)(s), (lua_Number)0)
#define lua_number2str(s, sz, n) \
	snprintf((s), (sz), "%lld", (long long)(n))
#define lua_number2strx(L, b, sz, f, n) \
	((void)(b), (void)(sz), (void)(f), (void)(n), \
	 kscript_lua_nofloat(L, "'%a'"), 0)
/*
 * Float conversions never get here: klua.c guards string.format. Integers
 * are formatted as C formats them (klua.c), not as the kernel's vsnprintf.
 */
int kscript_lua_sprintf(char *buf, size_t size, const char *fmt, ...);
#define l_sprintf(s, sz, f, i)	kscript_lua_sprintf(s, sz, f, i)
/* luaL_Buffer lives on the 16 KB kernel stack. */
#define LUAL_BUFFERSIZE		512

#ifdef KSCRIPT_LUA_SOURCE
/*
 * objtool (6.1) cannot know that a function in another object does not
 * return and warns wherever the compiler dropped the code after such a call.
 * Lua's l_noret is the noreturn attribute: turn it into "cold", which
 * keeps the return paths (never taken) and still marks error paths unlikely.
 * kscript_longjmp and kscript_lua_nofloat are left undeclared noreturn too.
 */
#define noreturn	cold
#undef current			/* LexState.current */
#define panic	kscript_lauxlib_panic	/* lauxlib's static panic() */
#endif

#ifdef KSCRIPT_LSTRLIB
/*
 * pack/unpack's float formats convert through float types, which the kernel
 * cannot use; same-sized integers make the file build, and kscript's
 * string.pack wrappers reject f/d/n before they are reached.
 */
#define float	int
#define double	long long
#endif

#endif /* KSCRIPT_KCONF_H */
