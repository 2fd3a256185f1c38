// SPDX-License-Identifier: MIT
/*
 * Connections (hook.h): the socket hooks' hold on a script, exported to the
 * modules that hook sockets (the patched tls.ko; ulp.c). A connection takes
 * a state from its script's pool at its first call and keeps it until
 * release, so no two sockets share a state at the same time.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "call.h"
#include "hook.h"

#define KSCRIPT_CONN_ENTRY_MAX	256	/* kTLS's TLS_LUA_RECVENTRY */

struct kscript_conn {
	struct kscript_script *s;
	struct kscript_state *st;	/* from the first call until release */
	bool text;			/* a private script: kscript_conn_load */
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
	s = kscript_script_get(name);
	if (!s)
		return ERR_PTR(-ENOENT);
	if (s->target != t) {
		kscript_script_put(s);
		return ERR_PTR(-EINVAL);
	}
	c = kscript_conn_new(s, s->entry, GFP_KERNEL);
	if (!c) {
		kscript_script_put(s);
		return ERR_PTR(-ENOMEM);
	}
	return c;
}
EXPORT_SYMBOL_GPL(kscript_conn_attach);

struct kscript_conn *kscript_conn_load(enum kscript_hook_target target,
				       const char *label, const char *text,
				       size_t len, char *err, size_t err_size)
{
	struct kscript_limits limits = {};	/* the defaults */
	struct kscript_buf reply = {};
	int t = kscript_hook_target(target);
	struct kscript_script *s;
	struct kscript_conn *c;

	if (t < 0)
		return ERR_PTR(t);
	s = kscript_script_new(label, t, "", text, len, &limits, &reply);
	if (IS_ERR(s)) {
		kscript_reply_text(&reply, err, err_size);
		kscript_buf_free(&reply);
		return ERR_CAST(s);
	}
	kscript_buf_free(&reply);
	c = kscript_conn_new(s, "", GFP_KERNEL);
	if (!c) {
		kscript_script_put(s);
		strscpy(err, "out of memory", err_size);
		return ERR_PTR(-ENOMEM);
	}
	c->text = true;
	return c;
}
EXPORT_SYMBOL_GPL(kscript_conn_load);

/* The connection's own state, taken from its script's pool at first use. */
static int kscript_conn_state(struct kscript_conn *c)
{
	struct kscript_buf reply = {};
	struct kscript_state *st;

	if (c->st)
		return 0;
	st = kscript_pool_take(c->s, &reply);
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
	return 0;
}

int kscript_conn_load_more(struct kscript_conn *c, const char *text,
			   size_t len, char *err, size_t err_size)
{
	struct kscript_buf reply = {};
	int ret;

	if (!c->text)
		return -EINVAL;
	ret = kscript_conn_state(c);
	if (ret) {
		strscpy(err, "no Lua state for the connection", err_size);
		return ret;
	}
	mutex_lock(&c->st->lock);
	ret = kscript_state_chunk(c->s, c->st, text, len, &reply);
	mutex_unlock(&c->st->lock);
	if (ret)
		kscript_reply_text(&reply, err, err_size);
	kscript_buf_free(&reply);
	return ret;
}
EXPORT_SYMBOL_GPL(kscript_conn_load_more);

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

	if (clone) {
		kref_get(&c->s->ref);
		clone->text = c->text;
	}
	return clone;
}
EXPORT_SYMBOL_GPL(kscript_conn_clone);

void kscript_conn_release(struct kscript_conn *c)
{
	if (!c)
		return;
	if (c->st)
		kscript_pool_give(c->s, c->st, true);
	kscript_script_put(c->s);
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
	err = kscript_conn_state(c);
	if (err)
		return err;
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
		/* The original hook's rule for a script it was given as text. */
		.strict = c->text,
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

void kscript_sockbuf_init(struct kscript_sockbuf *b)
{
	mutex_init(&b->lock);
	b->buf = NULL;
	b->size = 0;
}
EXPORT_SYMBOL_GPL(kscript_sockbuf_init);

u8 *kscript_sockbuf_get(struct kscript_sockbuf *b, size_t len, bool *own)
{
	u8 *buf;

	*own = mutex_trylock(&b->lock);
	if (!*own)
		return kvmalloc(len, GFP_KERNEL);
	if (len > b->size) {
		buf = kvmalloc(len, GFP_KERNEL);
		if (!buf) {
			mutex_unlock(&b->lock);
			return NULL;
		}
		kvfree(b->buf);
		b->buf = buf;
		b->size = len;
	}
	return b->buf;
}
EXPORT_SYMBOL_GPL(kscript_sockbuf_get);

void kscript_sockbuf_put(struct kscript_sockbuf *b, u8 *buf, bool own)
{
	if (own)
		mutex_unlock(&b->lock);
	else
		kvfree(buf);
}
EXPORT_SYMBOL_GPL(kscript_sockbuf_put);

void kscript_sockbuf_free(struct kscript_sockbuf *b)
{
	kvfree(b->buf);
	mutex_destroy(&b->lock);
}
EXPORT_SYMBOL_GPL(kscript_sockbuf_free);
