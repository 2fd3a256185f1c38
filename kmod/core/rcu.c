// SPDX-License-Identifier: MIT
/*
 * The "rcu" table of a script: one key/value table that every per-CPU state
 * of that script sees, and user space reads and writes by the script's name.
 * Each script has its own, so hooks never see each other's keys. Readers (Lua
 * in softirq, test-runs) use RCU; writers take the table's spinlock and free
 * replaced entries after a grace period. Keys are short strings or integers;
 * values bounded strings, integers or booleans (the bounds: common/dialect.ts
 * RCU_LIMITS; stdlib/rcu.d.ts).
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/rculist.h>
#include <linux/jhash.h>
#include <linux/hash.h>
#include "kscript.h"

#define KSCRIPT_RCU_BITS	8

struct kscript_rcu_entry {
	struct hlist_node node;
	struct rcu_head rcu;
	u32 hash;
	u8 ktype;
	u8 vtype;
	u32 klen;		/* bytes of key in data (8 for an integer) */
	u32 vlen;
	char data[];		/* key, then value */
};

struct kscript_rcu_table {
	spinlock_t lock;		/* writers */
	unsigned int count;
	struct hlist_head heads[1 << KSCRIPT_RCU_BITS];
};

struct kscript_rcu_table *kscript_rcu_alloc(void)
{
	struct kscript_rcu_table *t = kzalloc(sizeof(*t), GFP_KERNEL);

	if (t)
		spin_lock_init(&t->lock);
	return t;
}

/* A key or value as type + bytes; integers as their 8 host-order bytes. */
struct kscript_rcu_datum {
	u8 type;
	const void *p;
	u32 len;
	s64 i;
};

static int kscript_rcu_datum(const struct kscript_value *v,
			     struct kscript_rcu_datum *d, bool key)
{
	d->type = v->type;
	switch (v->type) {
	case KSCRIPT_V_BOOL:
		if (key)
			return -EINVAL;
		fallthrough;
	case KSCRIPT_V_INT:
		d->i = v->i;
		d->p = &d->i;
		d->len = sizeof(d->i);
		return 0;
	case KSCRIPT_V_STR:
		if (v->len > (key ? KSCRIPT_RCU_KEY_MAX : KSCRIPT_RCU_VALUE_MAX))
			return -E2BIG;
		if (key && !v->len)
			return -EINVAL;
		d->p = v->s;
		d->len = v->len;
		return 0;
	default:
		return -EINVAL;
	}
}

static u32 kscript_rcu_hash(const struct kscript_rcu_datum *k)
{
	return jhash(k->p, k->len, k->type);
}

static struct kscript_rcu_entry *
kscript_rcu_find(struct kscript_rcu_table *t, const struct kscript_rcu_datum *k,
		 u32 hash)
{
	struct hlist_head *head;
	struct kscript_rcu_entry *e;

	head = &t->heads[hash_32(hash, KSCRIPT_RCU_BITS)];
	hlist_for_each_entry_rcu(e, head, node, lockdep_is_held(&t->lock))
		if (e->hash == hash && e->ktype == k->type &&
		    e->klen == k->len && !memcmp(e->data, k->p, k->len))
			return e;
	return NULL;
}

/* Set (value != NULL) or delete a key. gfp: callers may be in softirq. */
static int kscript_rcu_store(struct kscript_rcu_table *t,
			     const struct kscript_rcu_datum *k,
			     const struct kscript_rcu_datum *v, gfp_t gfp)
{
	u32 hash = kscript_rcu_hash(k);
	struct kscript_rcu_entry *old, *e = NULL;
	unsigned long flags;

	if (v) {
		e = kmalloc(struct_size(e, data, k->len + v->len),
			    gfp | __GFP_NOWARN);
		if (!e)
			return -ENOMEM;
		e->hash = hash;
		e->ktype = k->type;
		e->klen = k->len;
		e->vtype = v->type;
		e->vlen = v->len;
		memcpy(e->data, k->p, k->len);
		memcpy(e->data + k->len, v->p, v->len);
	}
	spin_lock_irqsave(&t->lock, flags);
	old = kscript_rcu_find(t, k, hash);
	if (e && !old && t->count >= KSCRIPT_RCU_ENTRIES_MAX) {
		spin_unlock_irqrestore(&t->lock, flags);
		kfree(e);
		return -ENOSPC;
	}
	if (e && old)
		hlist_replace_rcu(&old->node, &e->node);
	else if (e)
		hlist_add_head_rcu(&e->node,
				   &t->heads[hash_32(hash, KSCRIPT_RCU_BITS)]);
	else if (old)
		hlist_del_rcu(&old->node);
	t->count += !!e - !!old;
	spin_unlock_irqrestore(&t->lock, flags);
	if (old)
		kfree_rcu(old, rcu);
	return 0;
}

int kscript_rcu_get(struct kscript_rcu_table *t, const struct kscript_value *key,
		    struct kscript_buf *reply)
{
	struct kscript_rcu_datum k;
	struct kscript_rcu_entry *e;
	u8 vtype = KSCRIPT_V_NIL;
	char *value = NULL;
	u32 vlen = 0;
	int err;

	err = kscript_rcu_datum(key, &k, true);
	if (err)
		return err;
	value = kmalloc(KSCRIPT_RCU_VALUE_MAX, GFP_KERNEL);
	if (!value)
		return -ENOMEM;
	rcu_read_lock();
	e = kscript_rcu_find(t, &k, kscript_rcu_hash(&k));
	if (e) {
		vtype = e->vtype;
		vlen = e->vlen;
		memcpy(value, e->data + e->klen, vlen);
	}
	rcu_read_unlock();
	if (vtype == KSCRIPT_V_INT || vtype == KSCRIPT_V_BOOL) {
		s64 i;

		memcpy(&i, value, sizeof(i));
		if (vtype == KSCRIPT_V_BOOL)
			kscript_put_bool(reply, i);
		else
			kscript_put_int(reply, i);
	} else if (vtype == KSCRIPT_V_STR) {
		kscript_put_str(reply, value, vlen);
	} else {
		kscript_put_nil(reply);
	}
	kfree(value);
	return 0;
}

int kscript_rcu_set(struct kscript_rcu_table *t, const struct kscript_value *key,
		    const struct kscript_value *value)
{
	struct kscript_rcu_datum k, v;
	int err;

	err = kscript_rcu_datum(key, &k, true);
	if (err)
		return err;
	if (value->type == KSCRIPT_V_NIL)
		return kscript_rcu_store(t, &k, NULL, GFP_KERNEL);
	err = kscript_rcu_datum(value, &v, false);
	if (err)
		return err;
	return kscript_rcu_store(t, &k, &v, GFP_KERNEL);
}

/*
 * Frees the table of a script whose last reference went: every reader (a call
 * into Lua, a user-space request) holds a reference, so none can be inside it
 * and no grace period is needed.
 */
void kscript_rcu_free(struct kscript_rcu_table *t)
{
	struct kscript_rcu_entry *e;
	struct hlist_node *tmp;
	unsigned int i;

	if (!t)
		return;
	for (i = 0; i < ARRAY_SIZE(t->heads); i++)
		hlist_for_each_entry_safe(e, tmp, &t->heads[i], node)
			kfree(e);
	kfree(t);
}

/* Lua side: rcu.get(key) and rcu.set(key, value), value nil deleting. */
static void kscript_rcu_lua_key(lua_State *L, struct kscript_rcu_datum *k)
{
	size_t len = 0;

	if (lua_isinteger(L, 1)) {
		k->type = KSCRIPT_V_INT;
		k->i = lua_tointeger(L, 1);
		k->p = &k->i;
		k->len = sizeof(k->i);
		return;
	}
	k->p = lua_type(L, 1) == LUA_TSTRING ? lua_tolstring(L, 1, &len) : NULL;
	if (!k->p || !len || len > KSCRIPT_RCU_KEY_MAX)
		luaL_argerror(L, 1, lua_pushfstring(L, "rcu keys are strings of 1..%d bytes or integers",
						    KSCRIPT_RCU_KEY_MAX));
	k->type = KSCRIPT_V_STR;
	k->len = len;
}

static int kscript_rcu_lua_get(lua_State *L)
{
	struct kscript_rcu_datum k;
	struct kscript_rcu_entry *e;
	u8 vtype = KSCRIPT_V_NIL;
	u32 vlen = 0;
	char *copy;
	s64 i;

	kscript_rcu_lua_key(L, &k);
	/* Copy out under RCU; Lua may raise only after the read section. */
	copy = lua_newuserdata(L, KSCRIPT_RCU_VALUE_MAX);
	rcu_read_lock();
	e = kscript_rcu_find(lua_touserdata(L, lua_upvalueindex(1)), &k,
			     kscript_rcu_hash(&k));
	if (e) {
		vtype = e->vtype;
		vlen = e->vlen;
		memcpy(copy, e->data + e->klen, vlen);
	}
	rcu_read_unlock();
	switch (vtype) {
	case KSCRIPT_V_BOOL:
		memcpy(&i, copy, sizeof(i));
		lua_pushboolean(L, i);
		break;
	case KSCRIPT_V_INT:
		memcpy(&i, copy, sizeof(i));
		lua_pushinteger(L, i);
		break;
	case KSCRIPT_V_STR:
		lua_pushlstring(L, copy, vlen);
		break;
	default:
		lua_pushnil(L);
		break;
	}
	return 1;
}

static int kscript_rcu_lua_set(lua_State *L)
{
	struct kscript_rcu_table *t = lua_touserdata(L, lua_upvalueindex(1));
	struct kscript_rcu_datum k, v = { .p = &v.i, .len = sizeof(v.i) };
	gfp_t gfp = klua_ctx(L)->gfp;
	size_t len;
	int err;

	kscript_rcu_lua_key(L, &k);
	switch (lua_type(L, 2)) {
	case LUA_TNIL:
	case LUA_TNONE:
		err = kscript_rcu_store(t, &k, NULL, gfp);
		goto done;
	case LUA_TBOOLEAN:
		v.type = KSCRIPT_V_BOOL;
		v.i = lua_toboolean(L, 2);
		break;
	case LUA_TNUMBER:
		v.type = KSCRIPT_V_INT;
		v.i = lua_tointeger(L, 2);
		break;
	case LUA_TSTRING:
		v.type = KSCRIPT_V_STR;
		v.p = lua_tolstring(L, 2, &len);
		if (len > KSCRIPT_RCU_VALUE_MAX)
			return luaL_argerror(L, 2, lua_pushfstring(L, "rcu strings are at most %d bytes",
								   KSCRIPT_RCU_VALUE_MAX));
		v.len = len;
		break;
	default:
		return luaL_argerror(L, 2, "rcu values are strings, integers or booleans");
	}
	err = kscript_rcu_store(t, &k, &v, gfp);
done:
	if (err == -ENOSPC)
		return luaL_error(L, "rcu table is full (%d entries)",
				  KSCRIPT_RCU_ENTRIES_MAX);
	if (err)
		return luaL_error(L, "rcu: not enough memory");
	return 0;
}

/* The script's table rides as an upvalue: it lives as long as the script. */
void kscript_rcu_open(lua_State *L, struct kscript_script *s)
{
	struct kscript_rcu_table *t = s->rcu;

	lua_createtable(L, 0, 2);
	lua_pushlightuserdata(L, t);
	lua_pushcclosure(L, kscript_rcu_lua_get, 1);
	lua_setfield(L, -2, "get");
	lua_pushlightuserdata(L, t);
	lua_pushcclosure(L, kscript_rcu_lua_set, 1);
	lua_setfield(L, -2, "set");
	lua_setglobal(L, "rcu");
}
