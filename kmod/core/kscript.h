/* SPDX-License-Identifier: MIT */
#ifndef KSCRIPT_H
#define KSCRIPT_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/atomic.h>
#include <linux/workqueue.h>
#include "../lua/klua.h"
#include "../generated/dialect.h"
#include "wire.h"
#include "data.h"

#define KSCRIPT_NAME_MAX	64
#define KSCRIPT_ENTRY_MAX	63	/* the ULP's entry: 64 bytes with NUL */
#define KSCRIPT_ERROR_MAX	256

/* What one call may spend (common/dialect.ts Limits); 0 in a request: the default. */
struct kscript_limits {
	u64 insns;
	u64 mem;		/* bytes per Lua state */
	u64 time_ms;		/* wall clock per call */
};

struct kscript_state {
	struct mutex lock;	/* one caller at a time (not used for xdp) */
	lua_State *L;
	struct klua_ctx ctx;
	struct kscript_data_buf input[2];	/* a call's packet and argument */
	int redirect;		/* xdp.redirect's ifindex in this call, or 0 */
	struct list_head pool_node;	/* idle in its script's pool */
	struct list_head all_node;	/* in its script's pool, idle or not */
	bool stale;		/* given back by a connection: made anew before reuse */
};

/* The kscript state a Lua state belongs to (its klua_ctx is embedded). */
static inline struct kscript_state *kscript_state_of(lua_State *L)
{
	return container_of(klua_ctx(L), struct kscript_state, ctx);
}

struct kscript_script {
	struct list_head node;		/* in the registry, under its mutex */
	struct kref ref;
	char name[KSCRIPT_NAME_MAX + 1];
	char entry[KSCRIPT_ENTRY_MAX + 1];
	enum kscript_target target;
	size_t size;
	struct kscript_limits limits;
	atomic64_t calls;
	atomic64_t errors;
	atomic64_t budget_hits;
	atomic64_t mem_hits;
	spinlock_t error_lock;		/* guards last_error, last_line */
	char last_error[KSCRIPT_ERROR_MAX];
	int last_line;
	struct kscript_rcu_table *rcu;	/* NULL for targets without the binding */
	/*
	 * tls and sock: a pool of states made from the text on demand, one per
	 * connection at a time, under pool_lock.
	 */
	spinlock_t pool_lock;
	struct list_head pool;		/* idle states */
	struct list_head pool_all;	/* every state made */
	unsigned int pool_states;
	char *text;
	size_t text_len;
	struct work_struct release_work;	/* the last put outside process context */
	unsigned int nstates;
	struct kscript_state states[];	/* xdp: one per CPU */
};

/* registry.c: the ceilings (module parameters) and the pool size. */
extern unsigned long kscript_mem_limit;
extern unsigned long kscript_insn_limit;
extern unsigned long kscript_time_limit_ms;
extern unsigned int kscript_pool_max;

/*
 * registry.c: named scripts and their Lua states. Each request returns 0 or
 * -errno, with a message in reply.
 */
int kscript_target_parse(const char *name, size_t len);
const char *kscript_target_name(enum kscript_target target);
/* Script and entry names: [A-Za-z0-9_.-], not empty. */
bool kscript_name_ok(const char *name);
/* limits: what the load asks for; a 0 field gets the default. */
int kscript_load(const char *name, enum kscript_target target,
		 const char *entry, const char *text, size_t len,
		 const struct kscript_limits *limits, struct kscript_buf *reply);
int kscript_unload(const char *name);
int kscript_registry_init(void);
/* Unloads every script and waits until the last of them is freed. */
void kscript_registry_exit(void);
/* Per script: its fields, then what extra appends (may be NULL). */
int kscript_list(struct kscript_buf *reply,
		 void (*extra)(const struct kscript_script *s,
			       struct kscript_buf *reply));
int kscript_stats(const char *name, struct kscript_buf *reply);
int kscript_rcu_request(const char *name, const struct kscript_value *key,
			const struct kscript_value *value,
			struct kscript_buf *reply);
/* A loaded script by name (a reference), or NULL; put it back when done. */
struct kscript_script *kscript_script_get(const char *name);
void kscript_script_put(struct kscript_script *s);
/* A script with its states, not registered (a connection's private one). */
struct kscript_script *kscript_script_new(const char *name,
					  enum kscript_target target,
					  const char *entry, const char *text,
					  size_t len,
					  const struct kscript_limits *limits,
					  struct kscript_buf *reply);
/* An idle state of a pooled script (made if none is idle), and back. */
struct kscript_state *kscript_pool_take(struct kscript_script *s,
					struct kscript_buf *reply);
void kscript_pool_give(struct kscript_script *s, struct kscript_state *st,
		      bool stale);
/*
 * One more chunk run in st (the caller holds its lock), under the script's
 * limits, as its text's chunk ran at load; the Lua error in reply.
 */
int kscript_state_chunk(struct kscript_script *s, struct kscript_state *st,
			const char *text, size_t len, struct kscript_buf *reply);
/* The error object at the top of L as text. */
const char *kscript_errmsg(lua_State *L);
/* Count, keep and log an error; st: the state that failed, or NULL. */
void kscript_record_error(struct kscript_script *s, struct kscript_state *st,
			  const char *msg);

/* An attached xdp hook's result. */
struct kscript_xdp_result {
	int action;
	int redirect;		/* ifindex, for XDP_REDIRECT */
	size_t size;		/* the packet's new length */
	u8 *grown;		/* kvmalloc'd bytes of a packet grown past its buffer (the caller's), or NULL */
};

/* call.c: calls into a script, as its target's hook makes them. */
/* input and arg are writable: an xdp script may rewrite the packet. */
int kscript_run(const char *name, const char *func, u8 *input,
		size_t input_len, u8 *arg, size_t arg_len,
		struct kscript_buf *reply);
/*
 * s's entry on the packet with this CPU's state (bottom halves off): 0 with
 * the result, or -errno when the script failed (counted and logged; the
 * packet passes).
 */
int kscript_xdp_entry(struct kscript_script *s, u8 *data, size_t len,
		      struct kscript_xdp_result *r);

/*
 * The bindings (common/dialect.ts BINDINGS), each opened into a new state of
 * a script whose target has it: xdp.c (xdp, xdplua), rcu.c, data.c.
 */
void kscript_xdp_open(lua_State *L, struct kscript_script *s);
void kscript_xdplua_open(lua_State *L, struct kscript_script *s);
void kscript_rcu_open(lua_State *L, struct kscript_script *s);
void kscript_time_open(lua_State *L, struct kscript_script *s);

/* rcu.c: each script's table (targets with the rcu binding). */
struct kscript_rcu_table;
struct kscript_rcu_table *kscript_rcu_alloc(void);
void kscript_rcu_free(struct kscript_rcu_table *t);
int kscript_rcu_get(struct kscript_rcu_table *t, const struct kscript_value *key,
		    struct kscript_buf *reply);
int kscript_rcu_set(struct kscript_rcu_table *t, const struct kscript_value *key,
		    const struct kscript_value *value);

/* ulp.c: the TCP ULP "lua" (sock target). */
int kscript_ulp_register(void);
void kscript_ulp_unregister(void);

/* xdp_hook.c: scripts attached to interfaces, run by the XDP program's kfuncs. */
int kscript_xdp_init(void);
void kscript_xdp_exit(void);
int kscript_xdp_attach(const char *name, const char *ifname,
		       struct kscript_buf *reply);
/* Puts the detached script's name in reply. */
int kscript_xdp_detach(const char *ifname, struct kscript_buf *reply);
/* The interfaces running s in the caller's network namespace, as one string. */
void kscript_xdp_put_ifnames(const struct kscript_script *s,
			     struct kscript_buf *reply);

#endif /* KSCRIPT_H */
