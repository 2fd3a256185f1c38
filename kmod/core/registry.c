// SPDX-License-Identifier: MIT
/*
 * The script registry: named scripts, the limits each runs under, and their
 * Lua states (one per CPU for xdp, a pool for tls and sock). The module
 * parameters are ceilings: a load asking for more is refused.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <linux/cpumask.h>
#include "kscript.h"

unsigned long kscript_mem_limit = KSCRIPT_CEILING_MEM;
module_param_named(mem_limit, kscript_mem_limit, ulong, 0644);
MODULE_PARM_DESC(mem_limit, "Most memory a script may ask for per Lua state, bytes");

unsigned long kscript_insn_limit = KSCRIPT_CEILING_INSNS;
module_param_named(insn_limit, kscript_insn_limit, ulong, 0644);
MODULE_PARM_DESC(insn_limit, "Most Lua instructions per call a script may ask for");

unsigned long kscript_time_limit_ms = KSCRIPT_CEILING_TIME_MS;
module_param_named(time_limit_ms, kscript_time_limit_ms, ulong, 0644);
MODULE_PARM_DESC(time_limit_ms, "Most wall-clock time per call a script may ask for, ms");

unsigned int kscript_pool_max = 256;
module_param_named(pool_max, kscript_pool_max, uint, 0644);
MODULE_PARM_DESC(pool_max, "Lua states per tls or sock script, one per connection at a time (default 256)");

static DEFINE_MUTEX(kscript_registry_lock);
static LIST_HEAD(kscript_scripts);
static struct workqueue_struct *kscript_release_wq;

static const char *const kscript_targets[KSCRIPT_NTARGETS] = KSCRIPT_TARGET_NAMES;
static const size_t kscript_size_max[KSCRIPT_NTARGETS] = KSCRIPT_SIZE_BUDGETS;

int kscript_target_parse(const char *name, size_t len)
{
	int t;

	for (t = 0; t < KSCRIPT_NTARGETS; t++)
		if (strlen(kscript_targets[t]) == len &&
		    !memcmp(kscript_targets[t], name, len))
			return t;
	return -EINVAL;
}

const char *kscript_target_name(enum kscript_target target)
{
	return kscript_targets[target];
}

/* One Lua state per CPU where the hook runs in softirq on any CPU. */
static bool kscript_per_cpu(enum kscript_target target)
{
	return target == KSCRIPT_XDP;
}

static void kscript_free(struct kscript_script *s)
{
	struct kscript_state *st, *tmp;
	unsigned int i;

	for (i = 0; i < s->nstates; i++) {
		if (s->states[i].L)
			klua_close(s->states[i].L);
		kscript_data_free(&s->states[i].input[0]);
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

void kscript_script_put(struct kscript_script *s)
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

struct kscript_script *kscript_script_get(const char *name)
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
 * Only a string error object is used as it is: converting a number would
 * allocate, outside any protected call.
 */
const char *kscript_errmsg(lua_State *L)
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

void kscript_record_error(struct kscript_script *s, struct kscript_state *st,
			  const char *msg)
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

/*
 * One limit of a load: the default when none is asked (never above the
 * ceilings), else what is asked if the ceilings allow it. xdp_ceiling: 0
 * when the dialect sets none for xdp.
 */
static int kscript_limit(u64 *value, u64 dflt, const char *what,
			 u64 ceiling, const char *param, u64 xdp_ceiling,
			 struct kscript_buf *reply)
{
	if (!*value) {
		*value = min(dflt, ceiling);
		if (xdp_ceiling)
			*value = min(*value, xdp_ceiling);
		return 0;
	}
	if (*value > ceiling) {
		kscript_put_fmt(reply, "%s %llu is above the ceiling %llu (module parameter %s)",
				what, *value, ceiling, param);
		return -EINVAL;
	}
	if (xdp_ceiling && *value > xdp_ceiling) {
		kscript_put_fmt(reply, "%s %llu is above %llu, the most an xdp call may take (it runs in softirq)",
				what, *value, xdp_ceiling);
		return -EINVAL;
	}
	return 0;
}

static int kscript_limits_resolve(enum kscript_target target,
				  struct kscript_limits *l,
				  struct kscript_buf *reply)
{
	bool xdp = target == KSCRIPT_XDP;

	return kscript_limit(&l->insns, KSCRIPT_DEFAULT_INSNS, "instructions",
			     READ_ONCE(kscript_insn_limit), "insn_limit",
			     xdp ? KSCRIPT_XDP_CEILING_INSNS : 0, reply) ?:
	       kscript_limit(&l->mem, KSCRIPT_DEFAULT_MEM, "memory",
			     READ_ONCE(kscript_mem_limit), "mem_limit", 0,
			     reply) ?:
	       kscript_limit(&l->time_ms, KSCRIPT_DEFAULT_TIME_MS, "time (ms)",
			     READ_ONCE(kscript_time_limit_ms), "time_limit_ms",
			     xdp ? KSCRIPT_XDP_CEILING_TIME_MS : 0, reply);
}

#define KSCRIPT_BINDING(name, targets) { targets, kscript_##name##_open },
static const struct {
	unsigned int targets;
	void (*open)(lua_State *L, struct kscript_script *s);
} kscript_bindings[] = { KSCRIPT_BINDINGS(KSCRIPT_BINDING) };
#undef KSCRIPT_BINDING

struct kscript_load_args {
	struct kscript_script *s;
	const char *text;
	size_t len;
	bool more;		/* one more chunk in a state that has its bindings */
};

/* Protected: the target's bindings, then compile the chunk (text only), run it, check the entry. */
static int kscript_load_p(lua_State *L)
{
	struct kscript_load_args *a = lua_touserdata(L, 1);
	char chunkname[KSCRIPT_NAME_MAX + 2];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kscript_bindings) && !a->more; i++)
		if (kscript_bindings[i].targets & BIT(a->s->target))
			kscript_bindings[i].open(L, a->s);
	snprintf(chunkname, sizeof(chunkname), "=%s", a->s->name);
	if (luaL_loadbufferx(L, a->text, a->len, chunkname, "t") != LUA_OK)
		return lua_error(L);
	lua_call(L, 0, 0);
	/* A private script's entry is named later, by the socket. */
	if (!a->more && a->s->entry[0] &&
	    lua_getglobal(L, a->s->entry) != LUA_TFUNCTION)
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
	st->ctx.mem_limit = s->limits.mem;
	st->ctx.insn_limit = s->limits.insns;
	st->ctx.time_limit_ns = s->limits.time_ms * NSEC_PER_MSEC;
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

int kscript_state_chunk(struct kscript_script *s, struct kscript_state *st,
			const char *text, size_t len, struct kscript_buf *reply)
{
	struct kscript_load_args a = {
		.s = s, .text = text, .len = len, .more = true,
	};
	int status;

	klua_enter(st->L, GFP_KERNEL);
	lua_pushcfunction(st->L, kscript_load_p);
	lua_pushlightuserdata(st->L, &a);
	status = lua_pcall(st->L, 1, 0, 0);
	if (status != LUA_OK)
		kscript_put_cstr(reply, kscript_errmsg(st->L));
	lua_settop(st->L, 0);
	if (status == LUA_OK)
		return 0;
	return status == LUA_ERRMEM ? -ENOMEM : -ENOEXEC;
}

/* One more state for a pooled script, or an ERR_PTR when the pool is full. */
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

/*
 * Process context. A stale state is not reused as its connection left it:
 * it is closed and a new one made from the script's text, so nothing a
 * connection left in the script's variables (a partial request, say)
 * reaches the next connection.
 */
struct kscript_state *kscript_pool_take(struct kscript_script *s,
					struct kscript_buf *reply)
{
	struct kscript_state *st;
	unsigned long flags;

	spin_lock_irqsave(&s->pool_lock, flags);
	st = list_first_entry_or_null(&s->pool, struct kscript_state,
				      pool_node);
	if (st) {
		list_del_init(&st->pool_node);
		if (st->stale) {
			list_del(&st->all_node);
			s->pool_states--;
		}
	}
	spin_unlock_irqrestore(&s->pool_lock, flags);
	if (st && st->stale) {
		klua_close(st->L);
		kvfree(st);
		st = NULL;
	}
	return st ?: kscript_pool_grow(s, reply);
}

/* Any context. @stale: a connection used it (see kscript_pool_take). */
void kscript_pool_give(struct kscript_script *s, struct kscript_state *st,
		       bool stale)
{
	unsigned long flags;

	spin_lock_irqsave(&s->pool_lock, flags);
	st->stale = stale;
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
struct kscript_script *kscript_script_new(const char *name,
					  enum kscript_target target,
					  const char *entry, const char *text,
					  size_t len,
					  const struct kscript_limits *limits,
					  struct kscript_buf *reply)
{
	unsigned int i, n = kscript_per_cpu(target) ? nr_cpu_ids : 0;
	struct kscript_limits l = *limits;
	struct kscript_state *st;
	struct kscript_script *s;
	int err;

	if (len > kscript_size_max[target]) {
		kscript_put_fmt(reply, "script is %zu bytes; %s scripts are at most %zu",
				len, kscript_targets[target],
				kscript_size_max[target]);
		return ERR_PTR(-EFBIG);
	}
	err = kscript_limits_resolve(target, &l, reply);
	if (err)
		return ERR_PTR(err);
	s = kvzalloc(struct_size(s, states, n), GFP_KERNEL);
	if (!s)
		return ERR_PTR(-ENOMEM);
	kref_init(&s->ref);
	strscpy(s->name, name, sizeof(s->name));
	strscpy(s->entry, entry, sizeof(s->entry));
	s->target = target;
	s->size = len;
	s->limits = l;
	spin_lock_init(&s->error_lock);
	spin_lock_init(&s->pool_lock);
	INIT_LIST_HEAD(&s->pool);
	INIT_LIST_HEAD(&s->pool_all);
	s->nstates = n;
	if (KSCRIPT_BINDING_RCU & BIT(target)) {
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
	if (!kscript_per_cpu(target)) {
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
		kscript_pool_give(s, st, false);
	}
	return s;
fail:
	kscript_script_put(s);
	return ERR_PTR(err);
}

int kscript_load(const char *name, enum kscript_target target,
		 const char *entry, const char *text, size_t len,
		 const struct kscript_limits *limits, struct kscript_buf *reply)
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
	s = kscript_script_get(name);
	if (s) {	/* checked again when adding; this spares making states */
		kscript_script_put(s);
		goto taken;
	}
	s = kscript_script_new(name, target, entry, text, len, limits, reply);
	if (IS_ERR(s))
		return PTR_ERR(s);

	mutex_lock(&kscript_registry_lock);
	if (kscript_find_locked(name)) {
		mutex_unlock(&kscript_registry_lock);
		kscript_script_put(s);
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
	kscript_script_put(s);
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
		kscript_script_put(s);
	}
	mutex_unlock(&kscript_registry_lock);
}

void kscript_registry_exit(void)
{
	kscript_unload_all();
	destroy_workqueue(kscript_release_wq);	/* drains pending releases */
}

static void kscript_put_limits(struct kscript_buf *reply,
			       const struct kscript_limits *l)
{
	kscript_put_int(reply, l->insns);
	kscript_put_int(reply, l->mem);
	kscript_put_int(reply, l->time_ms);
}

int kscript_list(struct kscript_buf *reply,
		 void (*extra)(const struct kscript_script *s,
			       struct kscript_buf *reply))
{
	struct kscript_script *s;

	mutex_lock(&kscript_registry_lock);
	list_for_each_entry(s, &kscript_scripts, node) {
		kscript_put_cstr(reply, s->name);
		kscript_put_cstr(reply, kscript_targets[s->target]);
		kscript_put_cstr(reply, s->entry);
		kscript_put_int(reply, s->size);
		kscript_put_limits(reply, &s->limits);
		if (extra)
			extra(s, reply);
	}
	mutex_unlock(&kscript_registry_lock);
	return 0;
}

/* rcu get (value NULL) or set on the table of the script called name. */
int kscript_rcu_request(const char *name, const struct kscript_value *key,
			const struct kscript_value *value,
			struct kscript_buf *reply)
{
	struct kscript_script *s = kscript_script_get(name);
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
	kscript_script_put(s);
	return err;
}

int kscript_stats(const char *name, struct kscript_buf *reply)
{
	struct kscript_script *s = kscript_script_get(name);
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
	kscript_put_limits(reply, &s->limits);
	kscript_script_put(s);
	return 0;
}
