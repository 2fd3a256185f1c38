// SPDX-License-Identifier: MIT
/*
 * Calls into a script, as its target's hook makes them: the input lent as the
 * hook gets it, the results checked and taken as the hook reads them (or
 * encoded for a test-run), and on failure what the hook does instead: let
 * the traffic pass. Every call runs under klua's guards, with its errors
 * isolated, counted and logged.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <linux/bottom_half.h>
#include <linux/smp.h>
#include "call.h"

/* An error object can be any string: replies carry its first KiB. */
#define KSCRIPT_REPLY_ERROR_MAX	1024

/* How the results are laid out: the target's entry, or a plain call. */
static const char *kscript_run_kind(const struct kscript_run_args *a)
{
	return a->func ? "call" : kscript_target_name(a->s->target);
}

/* Encode one returned value; tables and functions as their tostring text. */
static void kscript_put_lua(lua_State *L, int idx, struct kscript_buf *b)
{
	const char *str;
	size_t len;

	switch (lua_type(L, idx)) {
	case LUA_TNIL:
		kscript_put_nil(b);
		break;
	case LUA_TBOOLEAN:
		kscript_put_bool(b, lua_toboolean(L, idx));
		break;
	case LUA_TNUMBER:
		kscript_put_int(b, lua_tointeger(L, idx));
		break;
	case LUA_TSTRING:
		str = lua_tolstring(L, idx, &len);
		kscript_put_str(b, str, len);
		break;
	default:
		str = luaL_tolstring(L, idx, &len);
		kscript_put_str(b, str, len);
		lua_pop(L, 1);
		break;
	}
}

/* tls: recv returns code, file (stdlib/hooks.d.ts); checked, then kept. */
static void kscript_tls_results(lua_State *L, struct kscript_run_args *a,
				int base)
{
	const char *file = NULL;
	size_t len = 0;

	if (a->strict ? !lua_isinteger(L, base) :
	    !lua_isnoneornil(L, base) && !lua_isinteger(L, base))
		luaL_error(L, "%s: %s must return an integer code", a->s->name,
			   a->entry);
	if (a->strict && !lua_isstring(L, base + 1))
		luaL_error(L, "%s: %s must return a code and a file name",
			   a->s->name, a->entry);
	a->code = lua_tointeger(L, base);
	/* lua_isstring: a number is a name too, as the original read it. */
	if (lua_type(L, base + 1) == LUA_TSTRING ||
	    (a->strict && lua_isstring(L, base + 1)))
		file = lua_tolstring(L, base + 1, &len);
	if (a->reply) {
		kscript_put_int(a->reply, a->code);
		if (file)
			kscript_put_str(a->reply, file, len);
		else
			kscript_put_nil(a->reply);
		return;
	}
	if (!a->file)
		return;
	if (file && (len >= a->file_size || strlen(file) != len))
		luaL_error(L, "%s: the file name must be a path of at most %zu bytes",
			   a->s->name, a->file_size - 1);
	memcpy(a->file, file ?: "", len);
	a->file[len] = '\0';
}

/*
 * An attached xdp hook's verdict: a real action, and the packet as the
 * script left it, its grown bytes handed over to the caller.
 */
static void kscript_xdp_take(lua_State *L, struct kscript_run_args *a)
{
	struct kscript_data_buf *pkt = &a->st->input[0];
	struct kscript_xdp_result *r = a->xdp;

	if (a->code < 0 || a->code > KSCRIPT_XDP_ACTION_MAX)
		luaL_error(L, "%s: %lld is not an xdp action", a->s->name,
			   a->code);
	if (a->code == KSCRIPT_XDP_REDIRECT && !a->st->redirect)
		luaL_error(L, "%s: redirect without xdp.redirect(ifindex)",
			   a->s->name);
	r->action = a->code;
	r->redirect = a->st->redirect;
	r->size = pkt->size;
	r->grown = NULL;
	if (pkt->ptr != a->input) {
		r->grown = pkt->spare;
		pkt->spare = NULL;
	}
}

/* Protected: call the function and take what it returned. */
static int kscript_run_p(lua_State *L)
{
	struct kscript_run_args *a = lua_touserdata(L, 1);
	struct kscript_buf *b = a->reply;
	const char *func = a->func ? a->func : a->entry;
	int base, nargs = 1, i, n;

	lua_settop(L, 0);
	if (lua_getglobal(L, func) != LUA_TFUNCTION)
		return luaL_error(L, "%s: '%s' is not a function", a->s->name,
				  func);
	base = lua_gettop(L);
	/* As the hook gets it (stdlib/hooks.d.ts): tls a string, else data. */
	if (a->s->target == KSCRIPT_TLS) {
		lua_pushlstring(L, (char *)a->input, a->input_len);
	} else {
		/*
		 * A failing xdp hook passes the packet as it came, not half
		 * rewritten: the view keeps the bytes before its first write.
		 */
		kscript_data_lend(L, &a->st->input[0], a->input, a->input_len,
				  a->s->target == KSCRIPT_XDP && !a->func);
		if (a->arg) {
			kscript_data_lend(L, &a->st->input[1], a->arg, a->arg_len,
					  false);
			nargs++;
		}
	}
	lua_call(L, nargs, LUA_MULTRET);
	n = lua_gettop(L) - base + 1;

	if (b) {		/* ok, no error message, no error lines */
		kscript_put_bool(b, true);
		kscript_put_nil(b);
		kscript_put_nil(b);
		kscript_put_cstr(b, kscript_run_kind(a));
	}
	if (a->func) {
		for (i = 0; i < n; i++)
			kscript_put_lua(L, base + i, b);
		return 0;
	}
	switch (a->s->target) {
	case KSCRIPT_XDP:
		if (!lua_isinteger(L, base))
			return luaL_error(L, "%s: %s must return an xdp action",
					  a->s->name, func);
		a->code = lua_tointeger(L, base);
		if (a->xdp)
			kscript_xdp_take(L, a);
		if (!b)
			break;
		kscript_put_int(b, a->code);
		/* The packet as rewritten (udp_reply may have moved it). */
		kscript_put_str(b, a->st->input[0].ptr, a->st->input[0].size);
		if (a->st->redirect)
			kscript_put_int(b, a->st->redirect);
		else
			kscript_put_nil(b);
		break;
	case KSCRIPT_TLS:
		kscript_tls_results(L, a, base);
		break;
	case KSCRIPT_SOCK:
		a->allow = lua_toboolean(L, base);
		if (b)
			kscript_put_bool(b, a->allow);
		break;
	default:
		break;
	}
	return 0;
}

/* The result a hook uses when its script fails: traffic passes. */
static void kscript_put_passthrough(struct kscript_run_args *a)
{
	struct kscript_buf *b = a->reply;

	if (a->func)
		return;
	switch (a->s->target) {
	case KSCRIPT_XDP:
		kscript_put_int(b, KSCRIPT_XDP_PASS);
		kscript_put_str(b, a->input, a->input_len);
		kscript_put_nil(b);
		break;
	case KSCRIPT_TLS:
		kscript_put_int(b, 0);
		kscript_put_nil(b);
		break;
	case KSCRIPT_SOCK:
		kscript_put_bool(b, true);
		break;
	default:
		break;
	}
}

/*
 * A failed call's reply: its message, the Lua lines of its innermost frames
 * (blank-separated, for the caller's source map), and what the hook does
 * instead.
 */
static void kscript_put_failure(struct kscript_run_args *a, const char *msg,
				const struct kscript_state *st)
{
	struct kscript_buf *b = a->reply;
	char lines[KLUA_ERROR_FRAMES * 12];
	size_t len = 0;
	int i;

	if (!b)
		return;
	for (i = 0; st && i < st->ctx.nerror_lines; i++)
		len += scnprintf(lines + len, sizeof(lines) - len, "%s%d",
				 i ? " " : "", st->ctx.error_lines[i]);
	kscript_put_bool(b, false);
	kscript_put_str(b, msg, strnlen(msg, KSCRIPT_REPLY_ERROR_MAX));
	kscript_put_str(b, lines, len);
	kscript_put_cstr(b, kscript_run_kind(a));
	kscript_put_passthrough(a);
}

int kscript_call(struct kscript_state *st, struct kscript_run_args *a,
		 gfp_t gfp)
{
	struct kscript_buf *b = a->reply;
	size_t mark = b ? b->len : 0;
	lua_State *L = st->L;
	int status, msgh;

	atomic64_inc(&a->s->calls);
	a->st = st;
	st->redirect = 0;
	klua_enter(L, gfp);
	st->ctx.nerror_lines = 0;
	msgh = lua_gettop(L) + 1;
	lua_pushcfunction(L, klua_msgh);
	lua_pushcfunction(L, kscript_run_p);
	lua_pushlightuserdata(L, a);
	status = lua_pcall(L, 1, 0, msgh);
	if (status != LUA_OK)
		kscript_data_undo(&st->input[0]);
	/* The lent bytes are the caller's again: views kept by Lua go blank. */
	kscript_data_end(&st->input[0]);
	kscript_data_end(&st->input[1]);
	if (status != LUA_OK) {
		const char *msg = kscript_errmsg(L);

		kscript_record_error(a->s, st, msg);
		if (b)
			b->len = mark;	/* drop a partly encoded result */
		kscript_put_failure(a, msg, st);
	}
	lua_settop(L, 0);
	if (status == LUA_OK)
		return 0;
	return status == LUA_ERRMEM ? -ENOMEM : -ENOEXEC;
}

int kscript_run(const char *name, const char *func, u8 *input,
		size_t input_len, u8 *arg, size_t arg_len,
		struct kscript_buf *reply)
{
	struct kscript_run_args a = {
		.func = func, .input = input, .input_len = input_len,
		.arg = arg, .arg_len = arg_len, .reply = reply,
	};
	struct kscript_state *st;

	a.s = kscript_script_get(name);
	if (!a.s)
		return -ENOENT;
	a.entry = a.s->entry;
	if (a.s->nstates) {	/* per-CPU states: xdp */
		/* This CPU's state, as a softirq hook on this CPU would use it. */
		local_bh_disable();
		st = &a.s->states[smp_processor_id()];
		reply->gfp = GFP_ATOMIC;
		kscript_call(st, &a, GFP_ATOMIC);
		reply->gfp = 0;
		local_bh_enable();
	} else {
		/* A state of the pool, as a new connection would get one. */
		st = kscript_pool_take(a.s, reply);
		if (IS_ERR(st)) {
			kscript_script_put(a.s);
			return PTR_ERR(st);
		}
		mutex_lock(&st->lock);
		kscript_call(st, &a, GFP_KERNEL);
		mutex_unlock(&st->lock);
		/* Kept as it is: test calls share it, as the local engine's do. */
		kscript_pool_give(a.s, st, false);
	}
	kscript_script_put(a.s);
	return reply->err;
}

int kscript_xdp_entry(struct kscript_script *s, u8 *data, size_t len,
		      struct kscript_xdp_result *r)
{
	struct kscript_run_args a = {
		.s = s, .entry = s->entry, .input = data, .input_len = len,
		.xdp = r,
	};

	return kscript_call(&s->states[smp_processor_id()], &a, GFP_ATOMIC);
}
