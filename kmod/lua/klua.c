// SPDX-License-Identifier: MIT
/*
 * kscript Lua: state creation, the dialect's globals, and the guards every
 * call runs under (allocator cap, instruction budget, C-stack guard).
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/timekeeping.h>
#include <asm/asm.h>
#include "klua.h"
#include "../generated/dialect.h"
#include "lualib.h"
#include "ldebug.h"

/* Stock LUAI_MAXCCALLS, used while the stack has room. */
#define KLUA_MAXCCALLS		200
/* Less than this left on the kernel stack and new C levels are refused. */
#define KLUA_STACK_RESERVE	(6 * 1024)
/* On a stack that is not the task's (softirq on the IRQ stack): depth allowed. */
#define KLUA_FOREIGN_DEPTH	(6 * 1024)
#define KLUA_HOOK_EVERY		1000
/* Allocated in a call before its clock is read (see klua_late). */
#define KLUA_CLOCK_BYTES	(64 * 1024)
/*
 * A call in softirq (xdp) holds its CPU with bottom halves off: whatever the
 * limits say, at most this much (1M instructions: ~10 ms natively).
 */
#define KLUA_ATOMIC_INSNS	1000000ULL
#define KLUA_ATOMIC_TIME_NS	(100 * NSEC_PER_MSEC)
/* Stack per level of lstrlib's match() (56 bytes measured), rounded up. */
#define KLUA_MATCH_FRAME	80

/*
 * The dialect's globals and library members (common/dialect.ts, through the
 * generated header); test/conformance checks every target's environment
 * against the table on the emulator and the kernel.
 */
static const char *const klua_base[] = { KSCRIPT_DIALECT_BASE, NULL };

#define KLUA_MEMBERS(lib, ...) \
	static const char *const klua_##lib[] = { __VA_ARGS__, NULL };
KSCRIPT_DIALECT_LIBS(KLUA_MEMBERS)
#undef KLUA_MEMBERS

/*
 * Whether the call is past its time. The clock is first read here, at the
 * first check (KLUA_HOOK_EVERY instructions in) or once the call has
 * allocated KLUA_CLOCK_BYTES, not on entry: most calls (an XDP packet's) end
 * sooner and never read it. The time counts from there; what came before is
 * bounded by those few instructions and bytes.
 */
static bool klua_late(struct klua_ctx *ctx)
{
	u64 now = ktime_get_mono_fast_ns();

	if (!ctx->deadline_ns) {
		ctx->deadline_ns = now + ctx->call_time_ns;
		return false;
	}
	return now > ctx->deadline_ns;
}

static void *klua_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct klua_ctx *ctx = ud;
	void *nptr;

	if (!ptr)
		osize = 0;	/* then osize is a type tag, not a size */
	if (nsize == 0) {
		kvfree(ptr);
		ctx->mem_used -= osize;
		return NULL;
	}
	if (nsize > osize && ctx->mem_used - osize + nsize > ctx->mem_limit) {
		ctx->mem_hit = true;
		return NULL;
	}
	nptr = kvmalloc(nsize, ctx->gfp | __GFP_NOWARN);
	if (!nptr) {
		if (nsize > osize)
			return NULL;
		/* Lua assumes shrinking never fails: keep the larger block. */
		ctx->mem_used -= osize - nsize;
		return ptr;
	}
	if (ptr) {
		memcpy(nptr, ptr, min(osize, nsize));
		kvfree(ptr);
	}
	ctx->mem_used += nsize - osize;
	/* Work a call does in C goes with what it allocates: start its clock. */
	if (nsize > osize && !ctx->deadline_ns) {
		ctx->call_alloc += nsize - osize;
		if (ctx->call_alloc > KLUA_CLOCK_BYTES)
			klua_late(ctx);
	}
	return nptr;
}

static bool klua_stack_low(struct klua_ctx *ctx)
{
	return current_stack_pointer < ctx->stack_floor;
}

/*
 * LUAI_MAXCCALLS for ldo.c. The first check that finds the stack low raises
 * "C stack overflow" itself; until the stack has room again every check then
 * fails (0), so an error handler cannot recurse further: Lua reports
 * LUA_ERRERR. A thread about to be resumed has no error handler yet
 * (errorJmp is NULL): there 0 makes lua_resume refuse cleanly.
 */
int kscript_lua_climit(lua_State *L)
{
	struct klua_ctx *ctx = klua_ctx(L);

	if (!klua_stack_low(ctx)) {
		ctx->overflow = false;
		return KLUA_MAXCCALLS;
	}
	/* luaG_errormsg calls the handler at top - 2: let that one call in. */
	if (ttislcf(L->top - 2) && fvalue(L->top - 2) == klua_msgh)
		return KLUA_MAXCCALLS;
	if (!ctx->overflow && L->errorJmp) {
		ctx->overflow = true;
		luaG_runerror(L, "C stack overflow");
	}
	return 0;
}

int klua_msgh(lua_State *L)
{
	struct klua_ctx *ctx = klua_ctx(L);
	lua_Debug ar;
	int level;

	ctx->nerror_lines = 0;
	for (level = 0; level < KLUA_ERROR_FRAMES &&
	     lua_getstack(L, level, &ar); level++) {
		lua_getinfo(L, "l", &ar);
		if (ar.currentline > 0)
			ctx->error_lines[ctx->nerror_lines++] = ar.currentline;
	}
	if (lua_type(L, 1) != LUA_TSTRING)
		luaL_tolstring(L, 1, NULL);
	return 1;
}

int kscript_lua_parser_climit(lua_State *L)
{
	return klua_stack_low(klua_ctx(L)) ? 0 : KLUA_MAXCCALLS;
}

/*
 * Depth for one pattern match (lstrlib's MAXCCALLS, set as a match starts):
 * what fits above the floor plus half the reserve, so the matcher never
 * eats the margin the rest of an error path needs.
 */
int kscript_lua_matchdepth(lua_State *L)
{
	struct klua_ctx *ctx = klua_ctx(L);
	long room = (long)(current_stack_pointer - ctx->stack_floor) +
		    KLUA_STACK_RESERVE / 2;

	return clamp(room / KLUA_MATCH_FRAME, 0L, (long)KLUA_MAXCCALLS);
}

void kscript_lua_nofloat(lua_State *L, const char *what)
{
	luaG_runerror(L, "integer-only: %s is not supported", what);
}

/* "source:line: " of the innermost Lua function running, as luaL_where. */
static void klua_where(lua_State *L)
{
	lua_Debug ar;
	int level;

	for (level = 0; lua_getstack(L, level, &ar); level++) {
		lua_getinfo(L, "Sl", &ar);
		if (ar.currentline > 0) {
			lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
			return;
		}
	}
	lua_pushliteral(L, "");
}

/*
 * The call is over. Its error unwinds to the caller in the kernel: no pcall,
 * xpcall handler or coroutine of the script sees it
 * (patches/call-over.patch), so no script code runs again in this call.
 */
static int klua_budget_exceeded(lua_State *L, struct klua_ctx *ctx,
				const char *what)
{
	ctx->budget_hit = true;
	ctx->over = true;
	klua_where(L);
	lua_pushfstring(L, "%s budget exceeded", what);
	lua_concat(L, 2);
	return lua_error(L);
}

int kscript_lua_over(lua_State *L)
{
	return klua_ctx(L)->over;
}

/*
 * The wall clock, and a chance for others to run: a call in process context
 * may last as long as its limits allow without holding the CPU.
 */
static void klua_check_clock(lua_State *L, struct klua_ctx *ctx)
{
	if (klua_late(ctx))
		klua_budget_exceeded(L, ctx, "time");
	if (gfpflags_allow_blocking(ctx->gfp))
		cond_resched();
}

static void klua_hook(lua_State *L, struct lua_Debug *ar)
{
	struct klua_ctx *ctx = klua_ctx(L);

	ctx->insns += KLUA_HOOK_EVERY;
	if (ctx->insns > ctx->budget)
		klua_budget_exceeded(L, ctx, "instruction");
	/*
	 * Time too: an instruction may do O(memory) work in C (a table scan
	 * by next, a concatenation), which the count alone does not bound.
	 */
	klua_check_clock(L, ctx);
}

void kscript_lua_charge(lua_State *L, unsigned long long cost)
{
	struct klua_ctx *ctx = klua_ctx(L);

	if (cost > ctx->budget - min(ctx->insns, ctx->budget))
		klua_budget_exceeded(L, ctx, "instruction");
	ctx->insns += cost;
	/* As often as the hook would: a C loop may run long on small charges. */
	if (ctx->insns >= ctx->clock_due) {
		ctx->clock_due = ctx->insns + KLUA_HOOK_EVERY;
		klua_check_clock(L, ctx);
	}
}

/*
 * Each refusal may be followed by a full collection (lmem.c): a pcall'd
 * allocation in a loop must not outlive the call's time.
 */
void kscript_lua_refused(lua_State *L)
{
	struct klua_ctx *ctx = klua_ctx(L);

	/* Not again while raising: the message itself may be refused. */
	if (!ctx->over && klua_late(ctx))
		klua_budget_exceeded(L, ctx, "time");
}

void klua_enter(lua_State *L, gfp_t gfp)
{
	struct klua_ctx *ctx = klua_ctx(L);
	unsigned long sp = current_stack_pointer;
	unsigned long base = (unsigned long)task_stack_page(get_current());

	if (sp - base < THREAD_SIZE)
		ctx->stack_floor = base + KLUA_STACK_RESERVE;
	else
		ctx->stack_floor = sp - KLUA_FOREIGN_DEPTH;
	ctx->overflow = false;
	ctx->gfp = gfp;
	ctx->insns = 0;
	ctx->clock_due = KLUA_HOOK_EVERY;
	ctx->budget = ctx->insn_limit;
	ctx->call_time_ns = ctx->time_limit_ns;
	if (!gfpflags_allow_blocking(gfp)) {
		ctx->budget = min(ctx->budget, KLUA_ATOMIC_INSNS);
		ctx->call_time_ns = min_t(u64, ctx->call_time_ns, KLUA_ATOMIC_TIME_NS);
	}
	ctx->deadline_ns = 0;	/* read at the first check: klua_late() */
	ctx->call_alloc = 0;
	ctx->budget_hit = false;
	ctx->mem_hit = false;
	ctx->over = false;
	lua_sethook(L, klua_hook, LUA_MASKCOUNT, KLUA_HOOK_EVERY);
}

/* math, trimmed to the integer functions of the dialect. */
static int klua_math_abs(lua_State *L)
{
	lua_Integer n = luaL_checkinteger(L, 1);

	lua_pushinteger(L, n < 0 ? (lua_Integer)(0u - (lua_Unsigned)n) : n);
	return 1;
}

/* As Lua 5.3's: of any values that '<' orders (strings, metamethods). */
static int klua_math_minmax(lua_State *L, bool max)
{
	int i, best = 1, n = lua_gettop(L);

	luaL_argcheck(L, n >= 1, 1, "value expected");
	for (i = 2; i <= n; i++) {
		if (max ? lua_compare(L, best, i, LUA_OPLT) :
			  lua_compare(L, i, best, LUA_OPLT))
			best = i;
	}
	lua_pushvalue(L, best);
	return 1;
}

static int klua_math_max(lua_State *L)
{
	return klua_math_minmax(L, true);
}

static int klua_math_min(lua_State *L)
{
	return klua_math_minmax(L, false);
}

static int klua_math_tointeger(lua_State *L)
{
	int isint = 0;
	lua_Integer n = lua_tointegerx(L, 1, &isint);

	if (lua_type(L, 1) == LUA_TNUMBER && isint) {
		lua_pushinteger(L, n);
	} else {
		luaL_checkany(L, 1);
		lua_pushnil(L);
	}
	return 1;
}

static int klua_math_ult(lua_State *L)
{
	lua_Integer a = luaL_checkinteger(L, 1);
	lua_Integer b = luaL_checkinteger(L, 2);

	lua_pushboolean(L, (lua_Unsigned)a < (lua_Unsigned)b);
	return 1;
}

static int klua_math_type(lua_State *L)
{
	if (lua_type(L, 1) == LUA_TNUMBER) {
		lua_pushstring(L, lua_isinteger(L, 1) ? "integer" : "float");
	} else {
		luaL_checkany(L, 1);
		lua_pushnil(L);
	}
	return 1;
}

static const luaL_Reg klua_mathlib[] = {
	{ "abs", klua_math_abs },
	{ "max", klua_math_max },
	{ "min", klua_math_min },
	{ "tointeger", klua_math_tointeger },
	{ "ult", klua_math_ult },
	{ "type", klua_math_type },
	{ NULL, NULL }
};

static int klua_open_math(lua_State *L)
{
	luaL_newlib(L, klua_mathlib);
	lua_pushinteger(L, LUA_MAXINTEGER);
	lua_setfield(L, -2, "maxinteger");
	lua_pushinteger(L, LUA_MININTEGER);
	lua_setfield(L, -2, "mininteger");
	return 1;
}

/* print() goes to the kernel log, one rate-limited line per call. */
static int klua_print(lua_State *L)
{
	int i, n = lua_gettop(L);
	luaL_Buffer b;

	luaL_buffinit(L, &b);
	for (i = 1; i <= n; i++) {
		if (i > 1)
			luaL_addchar(&b, '\t');
		luaL_tolstring(L, i, NULL);
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	pr_info_ratelimited("kscript: %s: %s\n", klua_ctx(L)->name,
			    lua_tostring(L, -1));
	return 0;
}

/*
 * The dialect inside Lua's libraries (patches/dialect-lib.patch): called by
 * the library functions themselves, so their errors name them as in Lua 5.3.
 *
 * string.pack/unpack/packsize: no float formats f, d and n; one instruction
 * per byte of the format (one item at most each).
 */
const char *kscript_lua_packformat(lua_State *L, const char *fmt)
{
	const char *bad = strpbrk(fmt, "fdn");

	if (bad)
		luaL_error(L, "integer-only: pack format '%c' is not supported", *bad);
	kscript_lua_charge(L, strlen(fmt));
	return fmt;
}

/*
 * string.format: no float conversions a, e, f and g; one instruction per
 * conversion ("%%" is none) and per 16 bytes of the format.
 */
const char *kscript_lua_format(lua_State *L, const char *fmt, const size_t *len)
{
	unsigned long long n = KSCRIPT_BYTES(*len);
	const char *p = fmt;

	while ((p = strchr(p, '%'))) {
		p++;
		if (*p == '%') {
			p++;
			continue;
		}
		p += strspn(p, "-+ #0123456789.");
		if (*p && strchr("aAeEfFgG", *p))
			luaL_error(L, "integer-only: format '%%%c' is not supported", *p);
		n++;
	}
	kscript_lua_charge(L, n);
	return fmt;
}

/*
 * setmetatable: no finalizers. A __gc would run inside the collector, which
 * calls it with hooks off, so outside any budget, or at unload outside any
 * call. Lua 5.3 marks a table for finalization only when setmetatable finds
 * __gc, so refusing it there is enough.
 */
void kscript_lua_nogc(lua_State *L, int arg)
{
	if (lua_type(L, arg) != LUA_TTABLE)
		return;
	lua_pushliteral(L, "__gc");
	if (lua_rawget(L, arg) != LUA_TNIL)
		luaL_argerror(L, arg, "'__gc' metamethods are not supported");
	lua_pop(L, 1);
}

/*
 * l_sprintf of string.format's conversions (%d %i %o %u %x %X with "ll",
 * %c, %s) and tostring's "%lld", as C and glibc compute them: flags "-+ #0",
 * width, precision. The kernel's vsnprintf differs from C on some of them
 * (the 0 flag with a precision, precision 0 of 0, "%#x" of 0, "%#o" with a
 * precision, flags of %s). Anything else ("%p", "0x%llx") goes to vsnprintf.
 */
int kscript_lua_sprintf(char *buf, size_t size, const char *fmt, ...)
{
	bool left = false, plus = false, space = false, alt = false, zero = false;
	int width = 0, prec = -1, nbody = 0, nzero = 0, npad, i, n = 0;
	const char *p = fmt + 1, *prefix = "", *body;
	char digits[24], sign = 0, conv;
	unsigned long long u;
	long long v = 0;
	va_list ap;

	for (;; p++) {
		if (*p == '-')
			left = true;
		else if (*p == '+')
			plus = true;
		else if (*p == ' ')
			space = true;
		else if (*p == '#')
			alt = true;
		else if (*p == '0')
			zero = true;
		else
			break;
	}
	for (; *p >= '0' && *p <= '9'; p++)
		width = width * 10 + *p - '0';
	if (*p == '.')
		for (prec = 0, p++; *p >= '0' && *p <= '9'; p++)
			prec = prec * 10 + *p - '0';
	if (p[0] == 'l' && p[1] == 'l' && p[2] && strchr("diouxX", p[2]) && !p[3])
		conv = p[2];
	else if ((p[0] == 'c' || p[0] == 's') && !p[1])
		conv = p[0];
	else
		conv = 0;
	if (fmt[0] != '%')
		conv = 0;

	va_start(ap, fmt);
	if (!conv) {
		n = vsnprintf(buf, size, fmt, ap);
		va_end(ap);
		return n;
	}
	body = digits;
	if (conv == 'c') {
		digits[0] = (char)va_arg(ap, int);
		nbody = 1;
	} else if (conv == 's') {
		body = va_arg(ap, const char *);
		nbody = strnlen(body, prec < 0 ? INT_MAX : prec);
	} else {
		v = va_arg(ap, long long);
	}
	va_end(ap);

	if (conv != 'c' && conv != 's') {
		unsigned int base = conv == 'o' ? 8 : conv == 'x' || conv == 'X' ? 16 : 10;
		const char *set = conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
		char rev[24];

		u = v;
		if (conv == 'd' || conv == 'i') {
			if (v < 0)
				u = 0ULL - u;
			sign = v < 0 ? '-' : plus ? '+' : space ? ' ' : 0;
		}
		/* Precision 0 of 0: no digits. */
		if (prec != 0 || u != 0) {
			do {
				rev[nbody++] = set[u % base];
				u /= base;
			} while (u);
		}
		for (i = 0; i < nbody; i++)
			digits[i] = rev[nbody - 1 - i];
		nzero = prec > nbody ? prec - nbody : 0;
		/* '#' with o: the first digit is a 0 (by raising the precision). */
		if (alt && conv == 'o' && !nzero && (!nbody || digits[0] != '0'))
			nzero = 1;
		if (alt && (conv == 'x' || conv == 'X') && v)
			prefix = conv == 'x' ? "0x" : "0X";
	}
	npad = width - (!!sign + (int)strlen(prefix) + nzero + nbody);
	/* '0' pads numbers after sign and prefix, and only without a precision. */
	if (zero && !left && prec < 0 && conv != 'c' && conv != 's' && npad > 0) {
		nzero += npad;
		npad = 0;
	}
#define KLUA_PUT(c) do { if ((size_t)n + 1 < size) buf[n] = (c); n++; } while (0)
	for (i = 0; !left && i < npad; i++)
		KLUA_PUT(' ');
	if (sign)
		KLUA_PUT(sign);
	for (i = 0; prefix[i]; i++)
		KLUA_PUT(prefix[i]);
	for (i = 0; i < nzero; i++)
		KLUA_PUT('0');
	for (i = 0; i < nbody; i++)
		KLUA_PUT(body[i]);
	for (i = 0; left && i < npad; i++)
		KLUA_PUT(' ');
#undef KLUA_PUT
	if (size)
		buf[min_t(size_t, n, size - 1)] = '\0';
	return n;
}

static bool klua_listed(const char *const *list, const char *name)
{
	for (; *list; list++)
		if (!strcmp(*list, name))
			return true;
	return false;
}

/* Remove every string key of the table at the top that is not listed. */
static void klua_keep_only(lua_State *L, const char *const *list)
{
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		lua_pop(L, 1);
		if (lua_type(L, -1) == LUA_TSTRING &&
		    klua_listed(list, lua_tostring(L, -1)))
			continue;
		lua_pushvalue(L, -1);
		lua_pushnil(L);
		lua_rawset(L, -4);	/* clearing a field during next is allowed */
	}
}

/* Each library's opener, by the name the dialect gives it. */
#define klua_open_string	luaopen_string
#define klua_open_table		luaopen_table
#define klua_open_utf8		luaopen_utf8
#define klua_open_coroutine	luaopen_coroutine

#define KLUA_LIB(lib, ...) { #lib, klua_open_##lib, klua_##lib },
static const struct {
	const char *name;
	lua_CFunction open;
	const char *const *members;
} klua_libs[] = { KSCRIPT_DIALECT_LIBS(KLUA_LIB) };
#undef KLUA_LIB

static int klua_openlibs(lua_State *L)
{
	const char *globals[ARRAY_SIZE(klua_base) + ARRAY_SIZE(klua_libs)];
	size_t i, n = 0;

	luaL_requiref(L, "_G", luaopen_base, 0);
	lua_pop(L, 1);
	for (i = 0; klua_base[i]; i++)
		globals[n++] = klua_base[i];
	for (i = 0; i < ARRAY_SIZE(klua_libs); i++) {
		luaL_requiref(L, klua_libs[i].name, klua_libs[i].open, 1);
		klua_keep_only(L, klua_libs[i].members);
		lua_pop(L, 1);
		globals[n++] = klua_libs[i].name;
	}
	globals[n] = NULL;

	lua_pushglobaltable(L);
	klua_keep_only(L, globals);
	lua_pushcfunction(L, klua_print);
	lua_setfield(L, -2, "print");
	lua_pop(L, 1);
	return 0;
}

static int klua_panic(lua_State *L)
{
	pr_err("kscript: %s: unprotected Lua error: %s\n", klua_ctx(L)->name,
	       lua_tostring(L, -1));
	return 0;
}

lua_State *klua_newstate(struct klua_ctx *ctx)
{
	lua_State *L;

	ctx->gfp = GFP_KERNEL;
	L = lua_newstate(klua_alloc, ctx);
	if (!L)
		return NULL;
	lua_atpanic(L, klua_panic);
	klua_enter(L, GFP_KERNEL);
	lua_pushcfunction(L, klua_openlibs);
	if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
		lua_close(L);
		return NULL;
	}
	return L;
}

void klua_close(lua_State *L)
{
	klua_enter(L, GFP_KERNEL);
	lua_close(L);
}
