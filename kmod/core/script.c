// SPDX-License-Identifier: MIT
/*
 * The script registry: named scripts, their Lua states, and every call into
 * them (load, test-run), each under klua's guards and with its errors
 * isolated, counted and logged.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <linux/cpumask.h>
#include <linux/bottom_half.h>
#include <linux/smp.h>
#include <uapi/linux/bpf.h>
#include "kscript.h"
#include "hook.h"

static DEFINE_MUTEX(kscript_registry_lock);
static LIST_HEAD(kscript_scripts);
static struct workqueue_struct *kscript_release_wq;

/* An error object can be any string: replies carry its first KiB. */
#define KSCRIPT_REPLY_ERROR_MAX	1024

static const char *const kscript_targets[KSCRIPT_NTARGETS] = {
	[KSCRIPT_XDP] = "xdp",
	[KSCRIPT_TLS] = "tls",
	[KSCRIPT_SOCK] = "sock",
};

/* Script size budgets, as common/dialect.ts SIZE_BUDGET. */
static const size_t kscript_size_max[KSCRIPT_NTARGETS] = {
	[KSCRIPT_XDP] = 8192,
	[KSCRIPT_TLS] = 65536,
	[KSCRIPT_SOCK] = 8192,
};

int kscript_target_parse(const char *name, size_t len)
{
	int t;

	for (t = 0; t < KSCRIPT_NTARGETS; t++)
		if (strlen(kscript_targets[t]) == len &&
		    !memcmp(kscript_targets[t], name, len))
			return t;
	return -EINVAL;
}

/* One Lua state per CPU where the hook runs in softirq on any CPU. */
static bool kscript_per_cpu(enum kscript_target target)
{
	return target == KSCRIPT_XDP;
}

/* Pooled states (tls, sock) serve one connection at a time. */
static bool kscript_pooled(enum kscript_target target)
{
	return target == KSCRIPT_TLS || target == KSCRIPT_SOCK;
}

static void kscript_free(struct kscript_script *s)
{
	struct kscript_state *st, *tmp;
	unsigned int i;

	for (i = 0; i < s->nstates; i++) {
		if (s->states[i].L)
			klua_close(s->states[i].L);
		kvfree(s->states[i].snapshot);
	}
	list_for_each_entry_safe(st, tmp, &s->pool_all, all_node) {
		if (st->L)
			klua_close(st->L);
		kvfree(st);
	}
	kscript_rcu_free(s->rcu);
	kvfree(s->text);
	kvfree(s);
}

static void kscript_release_work(struct work_struct *work)
{
	kscript_free(container_of(work, struct kscript_script, release_work));
}

/*
 * Closing a state frees vmalloc'd memory (it runs no Lua): done
 * now in process context, else (a socket destroyed in softirq) by a worker.
 */
static void kscript_release(struct kref *ref)
{
	struct kscript_script *s = container_of(ref, struct kscript_script, ref);

	if (in_task()) {
		kscript_free(s);
		return;
	}
	INIT_WORK(&s->release_work, kscript_release_work);
	queue_work(kscript_release_wq, &s->release_work);
}

static void kscript_put(struct kscript_script *s)
{
	kref_put(&s->ref, kscript_release);
}

static struct kscript_script *kscript_find_locked(const char *name)
{
	struct kscript_script *s;

	list_for_each_entry(s, &kscript_scripts, node)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

static struct kscript_script *kscript_get(const char *name)
{
	struct kscript_script *s;

	mutex_lock(&kscript_registry_lock);
	s = kscript_find_locked(name);
	if (s)
		kref_get(&s->ref);
	mutex_unlock(&kscript_registry_lock);
	return s;
}

/*
 * The error object at the top of L as text. Only a string is used as it is:
 * converting a number would allocate, outside any protected call.
 */
static const char *kscript_errmsg(lua_State *L)
{
	if (lua_type(L, -1) == LUA_TSTRING)
		return lua_tostring(L, -1);
	return "(error object is not a string)";
}

/* "name:LINE: ..." → LINE, else 0. */
static int kscript_errline(const char *name, const char *msg)
{
	size_t n = strlen(name);
	int line = 0;

	if (strncmp(msg, name, n) || msg[n] != ':')
		return 0;
	for (msg += n + 1; *msg >= '0' && *msg <= '9' && line < INT_MAX / 10; msg++)
		line = line * 10 + (*msg - '0');
	return *msg == ':' ? line : 0;
}

/* st: the state that failed, or NULL when none could be had. */
static void kscript_record_error(struct kscript_script *s,
				 struct kscript_state *st, const char *msg)
{
	atomic64_inc(&s->errors);
	if (st && st->ctx.budget_hit)
		atomic64_inc(&s->budget_hits);
	if (st && st->ctx.mem_hit)
		atomic64_inc(&s->mem_hits);
	spin_lock_bh(&s->error_lock);
	strscpy(s->last_error, msg, sizeof(s->last_error));
	s->last_line = kscript_errline(s->name, msg);
	spin_unlock_bh(&s->error_lock);
	pr_warn_ratelimited("kscript: %s: %s\n", s->name, msg);
}

/* For the attached XDP hook (xdp_hook.c). */
struct kscript_script *kscript_script_get(const char *name)
{
	return kscript_get(name);
}

void kscript_script_put(struct kscript_script *s)
{
	kscript_put(s);
}

struct kscript_load_args {
	struct kscript_script *s;
	const char *text;
	size_t len;
};

/* Protected: compile the chunk (text only), run it, check the entry. */
static int kscript_load_p(lua_State *L)
{
	struct kscript_load_args *a = lua_touserdata(L, 1);
	char chunkname[KSCRIPT_NAME_MAX + 2];

	/* The bindings of common/dialect.ts BINDINGS, by target. */
	kscript_data_open(L);
	if (a->s->target == KSCRIPT_XDP) {
		kscript_xdp_open(L);
		kscript_xdplua_open(L);
		kscript_rcu_open(L, a->s->rcu);
	}
	snprintf(chunkname, sizeof(chunkname), "=%s", a->s->name);
	if (luaL_loadbufferx(L, a->text, a->len, chunkname, "t") != LUA_OK)
		return lua_error(L);
	lua_call(L, 0, 0);
	/* A private script's entry is named later, by the socket. */
	if (a->s->entry[0] && lua_getglobal(L, a->s->entry) != LUA_TFUNCTION)
		return luaL_error(L, "%s: entry '%s' is not a function",
				  a->s->name, a->s->entry);
	return 0;
}

static int kscript_state_init(struct kscript_script *s,
			      struct kscript_state *st, const char *text,
			      size_t len, struct kscript_buf *reply)
{
	struct kscript_load_args a = { .s = s, .text = text, .len = len };
	int status;

	mutex_init(&st->lock);
	INIT_LIST_HEAD(&st->pool_node);
	INIT_LIST_HEAD(&st->all_node);
	st->ctx.name = s->name;
	st->ctx.mem_limit = kscript_mem_limit;
	st->ctx.insn_limit = kscript_insn_limit;
	st->ctx.time_limit_ns = kscript_time_limit_ms * NSEC_PER_MSEC;
	st->L = klua_newstate(&st->ctx);
	if (!st->L) {
		kscript_put_cstr(reply, "out of memory creating a Lua state");
		return -ENOMEM;
	}
	klua_enter(st->L, GFP_KERNEL);
	lua_pushcfunction(st->L, kscript_load_p);
	lua_pushlightuserdata(st->L, &a);
	status = lua_pcall(st->L, 1, 0, 0);
	if (status != LUA_OK) {
		kscript_put_cstr(reply, kscript_errmsg(st->L));
		return status == LUA_ERRMEM ? -ENOMEM : -ENOEXEC;
	}
	return 0;
}

/* One more state for a pooled script, or NULL when the pool is full. */
static struct kscript_state *kscript_pool_grow(struct kscript_script *s,
					       struct kscript_buf *reply)
{
	struct kscript_state *st;
	unsigned long flags;
	int err;

	spin_lock_irqsave(&s->pool_lock, flags);
	if (s->pool_states >= kscript_pool_max) {
		spin_unlock_irqrestore(&s->pool_lock, flags);
		kscript_put_fmt(reply, "%s: all %u Lua states are in use (pool_max)",
				s->name, kscript_pool_max);
		return ERR_PTR(-EBUSY);
	}
	s->pool_states++;
	spin_unlock_irqrestore(&s->pool_lock, flags);

	st = kvzalloc(sizeof(*st), GFP_KERNEL);
	err = st ? kscript_state_init(s, st, s->text, s->text_len, reply) :
	      -ENOMEM;
	spin_lock_irqsave(&s->pool_lock, flags);
	if (err)
		s->pool_states--;
	else
		list_add(&st->all_node, &s->pool_all);
	spin_unlock_irqrestore(&s->pool_lock, flags);
	if (err) {
		if (st && st->L)
			klua_close(st->L);
		kvfree(st);
		return ERR_PTR(err);
	}
	return st;
}

/* An idle state of a pooled script, made if none is idle. Process context. */
static struct kscript_state *kscript_pool_take(struct kscript_script *s,
					       struct kscript_buf *reply)
{
	struct kscript_state *st;
	unsigned long flags;

	spin_lock_irqsave(&s->pool_lock, flags);
	st = list_first_entry_or_null(&s->pool, struct kscript_state,
				      pool_node);
	if (st)
		list_del_init(&st->pool_node);
	spin_unlock_irqrestore(&s->pool_lock, flags);
	return st ?: kscript_pool_grow(s, reply);
}

static void kscript_pool_give(struct kscript_script *s,
			      struct kscript_state *st)
{
	unsigned long flags;

	spin_lock_irqsave(&s->pool_lock, flags);
	list_add(&st->pool_node, &s->pool);
	spin_unlock_irqrestore(&s->pool_lock, flags);
}

bool kscript_name_ok(const char *name)
{
	const char *p;

	if (!*name)
		return false;
	for (p = name; *p; p++)
		if (!isalnum(*p) && !strchr("_.-", *p))
			return false;
	return true;
}

/*
 * A script with its states: one per CPU for xdp, else a pool holding one
 * state, made now so that load reports a broken script. Not registered.
 */
static struct kscript_script *kscript_new(const char *name,
					  enum kscript_target target,
					  const char *entry, const char *text,
					  size_t len, struct kscript_buf *reply)
{
	unsigned int i, n = kscript_per_cpu(target) ? nr_cpu_ids : 0;
	struct kscript_state *st;
	struct kscript_script *s;
	int err;

	if (len > kscript_size_max[target]) {
		kscript_put_fmt(reply, "script is %zu bytes; %s scripts are at most %zu",
				len, kscript_targets[target],
				kscript_size_max[target]);
		return ERR_PTR(-EFBIG);
	}
	s = kvzalloc(struct_size(s, states, n), GFP_KERNEL);
	if (!s)
		return ERR_PTR(-ENOMEM);
	kref_init(&s->ref);
	strscpy(s->name, name, sizeof(s->name));
	strscpy(s->entry, entry, sizeof(s->entry));
	s->target = target;
	s->size = len;
	spin_lock_init(&s->error_lock);
	spin_lock_init(&s->pool_lock);
	INIT_LIST_HEAD(&s->pool);
	INIT_LIST_HEAD(&s->pool_all);
	s->nstates = n;
	if (kscript_rcu_target(target)) {
		s->rcu = kscript_rcu_alloc();
		if (!s->rcu) {
			err = -ENOMEM;
			goto fail;
		}
	}
	for (i = 0; i < n; i++) {
		err = kscript_state_init(s, &s->states[i], text, len, reply);
		if (err)
			goto fail;
	}
	if (kscript_pooled(target)) {
		s->text = kvmalloc(len, GFP_KERNEL);
		if (!s->text) {
			err = -ENOMEM;
			goto fail;
		}
		memcpy(s->text, text, len);
		s->text_len = len;
		st = kscript_pool_grow(s, reply);
		if (IS_ERR(st)) {
			err = PTR_ERR(st);
			goto fail;
		}
		kscript_pool_give(s, st);
	}
	return s;
fail:
	kscript_put(s);
	return ERR_PTR(err);
}

int kscript_load(const char *name, enum kscript_target target,
		 const char *entry, const char *text, size_t len,
		 struct kscript_buf *reply)
{
	struct kscript_script *s;

	if (!kscript_name_ok(name)) {
		kscript_put_cstr(reply, "script names use [A-Za-z0-9_.-]");
		return -EINVAL;
	}
	if (!kscript_name_ok(entry)) {
		kscript_put_cstr(reply, "entry names use [A-Za-z0-9_.-]");
		return -EINVAL;
	}
	s = kscript_get(name);
	if (s) {	/* checked again when adding; this spares making states */
		kscript_put(s);
		goto taken;
	}
	s = kscript_new(name, target, entry, text, len, reply);
	if (IS_ERR(s))
		return PTR_ERR(s);

	mutex_lock(&kscript_registry_lock);
	if (kscript_find_locked(name)) {
		mutex_unlock(&kscript_registry_lock);
		kscript_put(s);
		goto taken;
	}
	list_add_tail(&s->node, &kscript_scripts);
	mutex_unlock(&kscript_registry_lock);
	return 0;
taken:
	kscript_put_fmt(reply, "a script named '%s' is already loaded", name);
	return -EEXIST;
}

int kscript_unload(const char *name)
{
	struct kscript_script *s;

	mutex_lock(&kscript_registry_lock);
	s = kscript_find_locked(name);
	if (s)
		list_del(&s->node);
	mutex_unlock(&kscript_registry_lock);
	if (!s)
		return -ENOENT;
	/* In-flight calls hold references; the last one closes the states. */
	kscript_put(s);
	return 0;
}

int kscript_registry_init(void)
{
	kscript_release_wq = alloc_workqueue("kscript_release", WQ_UNBOUND, 0);
	return kscript_release_wq ? 0 : -ENOMEM;
}

static void kscript_unload_all(void)
{
	struct kscript_script *s, *tmp;

	mutex_lock(&kscript_registry_lock);
	list_for_each_entry_safe(s, tmp, &kscript_scripts, node) {
		list_del(&s->node);
		kscript_put(s);
	}
	mutex_unlock(&kscript_registry_lock);
}

/* Unloads every script; returns once the last of them is freed. */
void kscript_registry_exit(void)
{
	kscript_unload_all();
	destroy_workqueue(kscript_release_wq);	/* drains pending releases */
}

int kscript_list(struct kscript_buf *reply)
{
	struct kscript_script *s;

	mutex_lock(&kscript_registry_lock);
	list_for_each_entry(s, &kscript_scripts, node) {
		kscript_put_cstr(reply, s->name);
		kscript_put_cstr(reply, kscript_targets[s->target]);
		kscript_put_cstr(reply, s->entry);
		kscript_put_int(reply, s->size);
		kscript_xdp_put_ifnames(s, reply);
	}
	mutex_unlock(&kscript_registry_lock);
	return 0;
}

/* rcu get (value NULL) or set on the table of the script called name. */
int kscript_rcu_request(const char *name, const struct kscript_value *key,
			const struct kscript_value *value,
			struct kscript_buf *reply)
{
	struct kscript_script *s = kscript_get(name);
	int err;

	if (!s)
		return -ENOENT;
	if (!s->rcu) {
		kscript_put_fmt(reply, "'%s' is a %s script; only xdp scripts have an rcu table",
				name, kscript_targets[s->target]);
		err = -EINVAL;
	} else if (value) {
		err = kscript_rcu_set(s->rcu, key, value);
	} else {
		err = kscript_rcu_get(s->rcu, key, reply);
	}
	kscript_put(s);
	return err;
}

int kscript_stats(const char *name, struct kscript_buf *reply)
{
	struct kscript_script *s = kscript_get(name);
	char last_error[KSCRIPT_ERROR_MAX];
	struct kscript_state *st;
	unsigned int i, nstates;
	unsigned long flags;
	size_t mem = 0;
	int last_line;

	if (!s)
		return -ENOENT;
	/* Read without the state locks: a snapshot, good enough for stats. */
	for (i = 0; i < s->nstates; i++)
		mem += READ_ONCE(s->states[i].ctx.mem_used);
	spin_lock_irqsave(&s->pool_lock, flags);
	list_for_each_entry(st, &s->pool_all, all_node)
		mem += READ_ONCE(st->ctx.mem_used);
	nstates = s->nstates + s->pool_states;
	spin_unlock_irqrestore(&s->pool_lock, flags);
	kscript_put_int(reply, atomic64_read(&s->calls));
	kscript_put_int(reply, atomic64_read(&s->errors));
	kscript_put_int(reply, atomic64_read(&s->budget_hits));
	kscript_put_int(reply, atomic64_read(&s->mem_hits));
	spin_lock_bh(&s->error_lock);
	memcpy(last_error, s->last_error, sizeof(last_error));
	last_line = s->last_line;
	spin_unlock_bh(&s->error_lock);
	if (last_error[0])
		kscript_put_cstr(reply, last_error);
	else
		kscript_put_nil(reply);
	kscript_put_int(reply, last_line);
	kscript_put_int(reply, mem);
	kscript_put_int(reply, nstates);
	kscript_put(s);
	return 0;
}

struct kscript_run_args {
	struct kscript_script *s;
	struct kscript_state *st;
	const char *func;	/* a plain call (test-run), else NULL */
	const char *entry;	/* the entry hooks call: the script's or the socket's */
	u8 *input;
	size_t input_len;
	u8 *arg;		/* xdp's optional argument data */
	size_t arg_len;
	struct kscript_buf *reply;	/* test-run: results encoded here */
	/* A hook's call (reply NULL): the results, checked. */
	lua_Integer code;	/* tls code, xdp action */
	struct kscript_xdp_result *xdp;
	char *file;
	size_t file_size;
	bool allow;
};

/* How the results are laid out: the target's entry, or a plain call. */
static const char *kscript_run_kind(const struct kscript_run_args *a)
{
	return a->func ? "call" : kscript_targets[a->s->target];
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

	if (!lua_isnoneornil(L, base) && !lua_isinteger(L, base))
		luaL_error(L, "%s: %s must return an integer code", a->s->name,
			   a->entry);
	a->code = lua_tointeger(L, base);
	if (lua_type(L, base + 1) == LUA_TSTRING)
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

	if (a->code < XDP_ABORTED || a->code > XDP_REDIRECT)
		luaL_error(L, "%s: %lld is not an xdp action", a->s->name,
			   a->code);
	if (a->code == XDP_REDIRECT && !a->st->redirect)
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
		kscript_data_lend(L, &a->st->input[0], a->input, a->input_len);
		if (a->arg) {
			kscript_data_lend(L, &a->st->input[1], a->arg, a->arg_len);
			nargs++;
		}
	}
	lua_call(L, nargs, LUA_MULTRET);
	n = lua_gettop(L) - base + 1;

	if (b) {
		kscript_put_bool(b, true);
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
		kscript_put_int(b, XDP_PASS);
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

/* One call into st; 0, or -errno when the script failed (recorded). */
/* A failed call's reply: its message, and what the hook does instead. */
static void kscript_put_failure(struct kscript_run_args *a, const char *msg)
{
	struct kscript_buf *b = a->reply;

	if (!b)
		return;
	kscript_put_bool(b, false);
	kscript_put_str(b, msg, strnlen(msg, KSCRIPT_REPLY_ERROR_MAX));
	kscript_put_cstr(b, kscript_run_kind(a));
	kscript_put_passthrough(a);
}

/*
 * A failing xdp hook passes the packet as it came, not half rewritten: keep
 * a copy (the state's buffer, grown to the largest packet seen).
 */
static int kscript_snapshot(struct kscript_state *st, const u8 *data,
			    size_t len, gfp_t gfp)
{
	u8 *buf;

	if (len > st->snapshot_size) {
		buf = kvmalloc(len, gfp | __GFP_NOWARN);
		if (!buf)
			return -ENOMEM;
		kvfree(st->snapshot);
		st->snapshot = buf;
		st->snapshot_size = len;
	}
	memcpy(st->snapshot, data, len);
	return 0;
}

static int kscript_call(struct kscript_state *st, struct kscript_run_args *a,
			gfp_t gfp)
{
	bool keep = a->s->target == KSCRIPT_XDP && !a->func;
	struct kscript_buf *b = a->reply;
	size_t mark = b ? b->len : 0;
	lua_State *L = st->L;
	int status;

	atomic64_inc(&a->s->calls);
	if (keep && kscript_snapshot(st, a->input, a->input_len, gfp)) {
		static const char nomem[] = "no memory to keep a copy of the packet";

		kscript_record_error(a->s, NULL, nomem);
		kscript_put_failure(a, nomem);
		return -ENOMEM;
	}
	a->st = st;
	st->redirect = 0;
	klua_enter(L, gfp);
	lua_pushcfunction(L, kscript_run_p);
	lua_pushlightuserdata(L, a);
	status = lua_pcall(L, 1, 0, 0);
	/* The lent bytes are the caller's again: views kept by Lua go blank. */
	kscript_data_end(&st->input[0]);
	kscript_data_end(&st->input[1]);
	if (status != LUA_OK) {
		const char *msg = kscript_errmsg(L);

		if (keep)
			memcpy(a->input, st->snapshot, a->input_len);
		kscript_record_error(a->s, st, msg);
		if (b)
			b->len = mark;	/* drop a partly encoded result */
		kscript_put_failure(a, msg);
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

	a.s = kscript_get(name);
	if (!a.s)
		return -ENOENT;
	a.entry = a.s->entry;
	if (kscript_per_cpu(a.s->target)) {
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
			kscript_put(a.s);
			return PTR_ERR(st);
		}
		mutex_lock(&st->lock);
		kscript_call(st, &a, GFP_KERNEL);
		mutex_unlock(&st->lock);
		kscript_pool_give(a.s, st);
	}
	kscript_put(a.s);
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

/* Connections (hook.h): the socket hooks' hold on a script. */

#define KSCRIPT_CONN_ENTRY_MAX	256	/* the seed's TLS_LUA_RECVENTRY */

struct kscript_conn {
	struct kscript_script *s;
	struct kscript_state *st;	/* from the first call until release */
	char entry[KSCRIPT_CONN_ENTRY_MAX + 1];
};

static int kscript_hook_target(enum kscript_hook_target target)
{
	switch (target) {
	case KSCRIPT_HOOK_TLS:
		return KSCRIPT_TLS;
	case KSCRIPT_HOOK_SOCK:
		return KSCRIPT_SOCK;
	}
	return -EINVAL;
}

/* The message a failed request put in reply, as text. */
static void kscript_reply_text(struct kscript_buf *reply, char *dst,
			       size_t size)
{
	struct kscript_cur c = { .p = reply->data, .left = reply->len };
	const char *msg;
	size_t len;

	if (!size)
		return;
	if (!reply->data || kscript_get_str(&c, &msg, &len)) {
		strscpy(dst, "out of memory", size);
		return;
	}
	len = min(len, size - 1);
	memcpy(dst, msg, len);
	dst[len] = '\0';
}

static struct kscript_conn *kscript_conn_new(struct kscript_script *s,
					     const char *entry, gfp_t gfp)
{
	struct kscript_conn *c = kzalloc(sizeof(*c), gfp);

	if (!c)
		return NULL;
	c->s = s;
	strscpy(c->entry, entry, sizeof(c->entry));
	return c;
}

struct kscript_conn *kscript_conn_attach(const char *name,
					 enum kscript_hook_target target)
{
	int t = kscript_hook_target(target);
	struct kscript_script *s;
	struct kscript_conn *c;

	if (t < 0)
		return ERR_PTR(t);
	s = kscript_get(name);
	if (!s)
		return ERR_PTR(-ENOENT);
	if (s->target != t) {
		kscript_put(s);
		return ERR_PTR(-EINVAL);
	}
	c = kscript_conn_new(s, s->entry, GFP_KERNEL);
	if (!c) {
		kscript_put(s);
		return ERR_PTR(-ENOMEM);
	}
	return c;
}
EXPORT_SYMBOL_GPL(kscript_conn_attach);

struct kscript_conn *kscript_conn_load(enum kscript_hook_target target,
				       const char *label, const char *text,
				       size_t len, char *err, size_t err_size)
{
	struct kscript_buf reply = {};
	int t = kscript_hook_target(target);
	struct kscript_script *s;
	struct kscript_conn *c;

	if (t < 0)
		return ERR_PTR(t);
	s = kscript_new(label, t, "", text, len, &reply);
	if (IS_ERR(s)) {
		kscript_reply_text(&reply, err, err_size);
		kscript_buf_free(&reply);
		return ERR_CAST(s);
	}
	kscript_buf_free(&reply);
	c = kscript_conn_new(s, "", GFP_KERNEL);
	if (!c) {
		kscript_put(s);
		strscpy(err, "out of memory", err_size);
		return ERR_PTR(-ENOMEM);
	}
	return c;
}
EXPORT_SYMBOL_GPL(kscript_conn_load);

int kscript_conn_set_entry(struct kscript_conn *c, const char *entry)
{
	if (!kscript_name_ok(entry) || strlen(entry) > KSCRIPT_CONN_ENTRY_MAX)
		return -EINVAL;
	strscpy(c->entry, entry, sizeof(c->entry));
	return 0;
}
EXPORT_SYMBOL_GPL(kscript_conn_set_entry);

struct kscript_conn *kscript_conn_clone(const struct kscript_conn *c,
					gfp_t gfp)
{
	struct kscript_conn *clone = kscript_conn_new(c->s, c->entry, gfp);

	if (clone)
		kref_get(&c->s->ref);
	return clone;
}
EXPORT_SYMBOL_GPL(kscript_conn_clone);

void kscript_conn_release(struct kscript_conn *c)
{
	if (!c)
		return;
	if (c->st)
		kscript_pool_give(c->s, c->st);
	kscript_put(c->s);
	kfree(c);
}
EXPORT_SYMBOL_GPL(kscript_conn_release);

/* A connection's call on its own state, taken from the pool at its first. */
static int kscript_conn_call(struct kscript_conn *c,
			     struct kscript_run_args *a)
{
	int err;

	if (!c->entry[0])
		return -ENOENT;
	if (!c->st) {
		struct kscript_buf reply = {};
		struct kscript_state *st = kscript_pool_take(c->s, &reply);

		if (IS_ERR(st)) {
			char msg[KSCRIPT_ERROR_MAX];

			kscript_reply_text(&reply, msg, sizeof(msg));
			kscript_buf_free(&reply);
			atomic64_inc(&c->s->calls);
			kscript_record_error(c->s, NULL, msg);
			return PTR_ERR(st);
		}
		kscript_buf_free(&reply);
		c->st = st;
	}
	a->s = c->s;
	a->entry = c->entry;
	mutex_lock(&c->st->lock);
	err = kscript_call(c->st, a, GFP_KERNEL);
	mutex_unlock(&c->st->lock);
	return err;
}

int kscript_conn_tls_recv(struct kscript_conn *c, const void *plain,
			  size_t len, int *code, char *file, size_t file_size)
{
	struct kscript_run_args a = {
		/* Pushed as a Lua string (a copy): never written. */
		.input = (u8 *)plain, .input_len = len,
		.file = file, .file_size = file_size,
	};
	int err;

	if (c->s->target != KSCRIPT_TLS)
		return -EINVAL;
	err = kscript_conn_call(c, &a);
	if (err)
		return err;
	if (a.code < INT_MIN || a.code > INT_MAX)
		return -ERANGE;
	*code = a.code;
	return 0;
}
EXPORT_SYMBOL_GPL(kscript_conn_tls_recv);

int kscript_conn_sock_process(struct kscript_conn *c, u8 *buf, size_t len,
			      bool *allow)
{
	struct kscript_run_args a = { .input = buf, .input_len = len };
	int err;

	if (c->s->target != KSCRIPT_SOCK)
		return -EINVAL;
	err = kscript_conn_call(c, &a);
	if (!err)
		*allow = a.allow;
	return err;
}
EXPORT_SYMBOL_GPL(kscript_conn_sock_process);
