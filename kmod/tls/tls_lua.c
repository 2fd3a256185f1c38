// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * kscript's recv hook in kTLS, with the original kTLS Lua hook's socket options: after
 * decryption, the socket's script gets the plaintext of one recv and returns
 * code, file. Code 0 hands the bytes to the caller; any other code consumes
 * them and recv fails with EAGAIN, the caller then reads TLS_LUA_CODE and
 * TLS_LUA_FILE. A failing script sets TLS_LUA_ERRNO to TLS_LUA_RECVERR: a
 * script given as text (LOADSCRIPT) fails the recv with EAGAIN as the
 * original did, an attached one passes the bytes through. With TLS_LUA_CMSG
 * the recv instead returns the bytes with the decision as a control message.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <net/sock.h>

#include "hook.h"
#include "tls.h"
#include "tls_lua.h"

struct tls_lua {
	struct mutex lock;		/* the fields below but plain */
	struct kscript_conn *conn;	/* NULL until loaded or attached */
	size_t loaded;			/* LOADSCRIPT bytes; 0: attached or none */
	char entry[TLS_LUA_ENTRY_MAX + 1];	/* RECVENTRY, "" if not set */
	bool ready;			/* conn has an entry to call */
	bool cmsg;			/* TLS_LUA_CMSG */
	struct tls_lua_decision last;	/* what ERRNO, CODE and FILE read */
	struct kscript_sockbuf plain;	/* what recvmsg decrypts into */
};

static struct tls_lua_context *tls_lua_container(struct tls_context *ctx)
{
	return container_of(ctx, struct tls_lua_context, base);
}

/* Pairs with the release in tls_lua_get(). */
static struct tls_lua *tls_lua_peek(struct sock *sk)
{
	return smp_load_acquire(&tls_lua_container(tls_get_ctx(sk))->lua);
}

static struct tls_lua *tls_lua_get(struct sock *sk)
{
	struct tls_lua_context *c = tls_lua_container(tls_get_ctx(sk));
	struct tls_lua *lua;

	lock_sock(sk);
	lua = c->lua;
	if (!lua) {
		lua = kzalloc(sizeof(*lua), GFP_KERNEL);
		if (lua) {
			mutex_init(&lua->lock);
			kscript_sockbuf_init(&lua->plain);
			smp_store_release(&c->lua, lua);
		}
	}
	release_sock(sk);
	return lua;
}

void tls_lua_ctx_release(struct tls_context *ctx)
{
	struct tls_lua *lua = tls_lua_container(ctx)->lua;

	if (!lua)
		return;
	kscript_conn_release(lua->conn);
	kscript_sockbuf_free(&lua->plain);
	mutex_destroy(&lua->lock);
	kfree(lua);
}

/*
 * LOADSCRIPT: the first chunk makes the socket's private script; each later
 * one runs once, in the same state, after the earlier ones. Lua's refusal
 * (syntax or a raising top level) is the original's ECANCELED.
 */
static int tls_lua_load(struct tls_lua *lua, const char *chunk, size_t len)
{
	struct kscript_conn *conn;
	char err[128] = "";
	int ret;

	if (lua->loaded + len > TLS_LUA_SCRIPT_MAX)
		return -EFBIG;
	if (lua->loaded) {
		ret = kscript_conn_load_more(lua->conn, chunk, len, err,
					     sizeof(err));
	} else {
		conn = kscript_conn_load(KSCRIPT_HOOK_TLS, "tls", chunk, len,
					 err, sizeof(err));
		ret = PTR_ERR_OR_ZERO(conn);
		if (!ret && lua->entry[0] &&
		    kscript_conn_set_entry(conn, lua->entry)) {
			kscript_conn_release(conn);
			return -EINVAL;
		}
		if (!ret) {
			kscript_conn_release(lua->conn);
			lua->conn = conn;
			lua->ready = lua->entry[0];
		}
	}
	if (ret) {
		net_info_ratelimited("tls: TLS_LUA_LOADSCRIPT refused: %s\n",
				     err);
		return ret == -ENOEXEC ? -ECANCELED : ret;
	}
	lua->loaded += len;
	return 0;
}

static int tls_lua_attach(struct tls_lua *lua, const char *name)
{
	struct kscript_conn *conn = kscript_conn_attach(name, KSCRIPT_HOOK_TLS);

	if (IS_ERR(conn))
		return PTR_ERR(conn);
	/* A RECVENTRY given before still names the function. */
	if (lua->entry[0] && kscript_conn_set_entry(conn, lua->entry)) {
		kscript_conn_release(conn);
		return -EINVAL;
	}
	kscript_conn_release(lua->conn);
	lua->conn = conn;
	lua->ready = true;
	lua->loaded = 0;
	return 0;
}

static int tls_lua_set_entry(struct tls_lua *lua, const char *entry)
{
	int err;

	if (!entry[0] || strlen(entry) > TLS_LUA_ENTRY_MAX)
		return -EINVAL;
	if (lua->conn) {
		err = kscript_conn_set_entry(lua->conn, entry);
		if (err)
			return err;
		lua->ready = true;
	}
	strscpy(lua->entry, entry, sizeof(lua->entry));
	return 0;
}

static int tls_lua_set_cmsg(struct sock *sk, sockptr_t optval,
			    unsigned int optlen)
{
	struct tls_lua *lua;
	int on;

	if (optlen != sizeof(on))
		return -EINVAL;
	if (copy_from_sockptr(&on, optval, sizeof(on)))
		return -EFAULT;
	lua = tls_lua_get(sk);
	if (!lua)
		return -ENOMEM;
	mutex_lock(&lua->lock);
	lua->cmsg = on;
	mutex_unlock(&lua->lock);
	return 0;
}

int tls_lua_setsockopt(struct sock *sk, int optname, sockptr_t optval,
		       unsigned int optlen)
{
	unsigned int max = optname == TLS_LUA_LOADSCRIPT ? TLS_LUA_SCRIPT_MAX :
			   optname == TLS_LUA_RECVENTRY ? TLS_LUA_ENTRY_MAX + 1 :
			   TLS_LUA_NAME_MAX + 1;
	struct tls_lua *lua;
	size_t len;
	char *arg;
	int err;

	if (optname == TLS_LUA_CMSG)
		return tls_lua_set_cmsg(sk, optval, optlen);
	if (optname != TLS_LUA_LOADSCRIPT && optname != TLS_LUA_RECVENTRY &&
	    optname != TLS_LUA_ATTACH)
		return -ENOPROTOOPT;
	if (!optlen || optlen > max)
		return optname == TLS_LUA_LOADSCRIPT && optlen ? -EFBIG : -EINVAL;
	arg = kvmalloc(optlen + 1, GFP_KERNEL);
	if (!arg)
		return -ENOMEM;
	if (copy_from_sockptr(arg, optval, optlen)) {
		kvfree(arg);
		return -EFAULT;
	}
	arg[optlen] = '\0';
	/* The original's servers pass strlen + 1: the text ends at the first NUL. */
	len = strnlen(arg, optlen);

	lua = tls_lua_get(sk);
	if (!lua) {
		kvfree(arg);
		return -ENOMEM;
	}
	mutex_lock(&lua->lock);
	switch (optname) {
	case TLS_LUA_LOADSCRIPT:
		err = tls_lua_load(lua, arg, len);
		break;
	case TLS_LUA_RECVENTRY:
		err = tls_lua_set_entry(lua, arg);
		break;
	default:
		err = tls_lua_attach(lua, arg);
		break;
	}
	mutex_unlock(&lua->lock);
	kvfree(arg);
	return err;
}

/*
 * As the original: ERRNO and CODE want exactly an int; FILE is cut to the
 * caller's length (without its NUL then). optlen is never written back, so
 * a server may keep one length variable across calls.
 */
int tls_lua_getsockopt(struct sock *sk, int optname, char __user *optval,
		       int __user *optlen)
{
	static const struct tls_lua_decision none = {};
	struct tls_lua *lua = tls_lua_peek(sk);
	const struct tls_lua_decision *d = lua ? &lua->last : &none;
	int len, err = 0;

	if (get_user(len, optlen))
		return -EFAULT;
	if (optname != TLS_LUA_ERRNO && optname != TLS_LUA_CODE &&
	    optname != TLS_LUA_FILE)
		return -ENOPROTOOPT;
	if (optname == TLS_LUA_FILE ? len < 0 : len != sizeof(int))
		return -EINVAL;
	if (lua)
		mutex_lock(&lua->lock);
	if (optname == TLS_LUA_FILE)
		len = min_t(int, len, strlen(d->file) + 1);
	if (copy_to_user(optval,
			 optname == TLS_LUA_ERRNO ? (const void *)&d->status :
			 optname == TLS_LUA_CODE ? (const void *)&d->code :
			 d->file, len))
		err = -EFAULT;
	if (lua)
		mutex_unlock(&lua->lock);
	return err;
}

/*
 * The script's decision on n bytes of data, kept for ERRNO/CODE/FILE. The
 * bytes' fate: 0 to hand them to the caller, or -EAGAIN (consumed).
 */
static int tls_lua_decide(struct tls_lua *lua, struct msghdr *msg,
			  const u8 *buf, int n)
{
	struct tls_lua_decision *d = &lua->last;
	int err, code = 0, ret = 0;
	bool original;

	mutex_lock(&lua->lock);
	original = lua->loaded;
	err = kscript_conn_tls_recv(lua->conn, buf, n, &code, d->file,
				    sizeof(d->file));
	d->status = err ? TLS_LUA_RECVERR : TLS_LUA_OK;
	if (!err) {
		d->code = code;
	} else if (!original || lua->cmsg) {
		/* Counted and logged by kscript.ko: pass through. */
		d->code = 0;
		d->file[0] = '\0';
	}
	if (lua->cmsg) {
		/* The bytes and the decision together: never EAGAIN. */
		if (put_cmsg(msg, SOL_TLS, TLS_LUA_DECISION,
			     offsetof(struct tls_lua_decision, file) +
			     strlen(d->file) + 1, d) ||
		    msg->msg_flags & MSG_CTRUNC)
			ret = -EIO;
	} else if (err ? original : code) {
		/* The original's rule: a decision, or its script failing. */
		ret = -EAGAIN;
	}
	mutex_unlock(&lua->lock);
	return ret;
}

/*
 * recvmsg of a socket with a script: decrypt into the socket's buffer
 * (kscript_sockbuf, at most one record's worth), let the script see it,
 * then copy it out or consume it. MSG_PEEK reads are not the script's
 * business: they go straight through.
 */
int tls_lua_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
		    int flags, int *addr_len)
{
	struct tls_lua *lua = tls_lua_peek(sk);
	char cbuf[CMSG_SPACE(sizeof(u8))];
	u8 type = TLS_RECORD_TYPE_DATA;
	struct msghdr kmsg = {};
	bool ready, cmsg, own;
	struct kvec kv;
	int n, err;
	u8 *buf;

	if (!lua || (flags & (MSG_PEEK | MSG_ERRQUEUE)))
		return tls_sw_recvmsg(sk, msg, len, flags, addr_len);
	mutex_lock(&lua->lock);
	ready = lua->ready;
	cmsg = lua->cmsg;
	mutex_unlock(&lua->lock);
	if (!ready)
		return tls_sw_recvmsg(sk, msg, len, flags, addr_len);
	/* Room for the decision first, so that none is ever lost. */
	if (cmsg && msg->msg_controllen < TLS_LUA_CMSG_SPACE)
		return -EINVAL;

	len = max_t(size_t, min_t(size_t, len, TLS_MAX_PAYLOAD_SIZE), 1);
	buf = kscript_sockbuf_get(&lua->plain, len, &own);
	if (!buf)
		return -ENOMEM;
	kv.iov_base = buf;
	kv.iov_len = len;
	iov_iter_kvec(&kmsg.msg_iter, ITER_DEST, &kv, 1, len);
	kmsg.msg_control = cbuf;
	kmsg.msg_controllen = sizeof(cbuf);
	n = tls_sw_recvmsg(sk, &kmsg, len, flags, addr_len);
	if (n <= 0)
		goto out;
	if (kmsg.msg_controllen < sizeof(cbuf))
		type = *(u8 *)CMSG_DATA((struct cmsghdr *)cbuf);
	/* As stock tls.ko: the caller learns the record type in a cmsg. */
	err = put_cmsg(msg, SOL_TLS, TLS_GET_RECORD_TYPE, sizeof(type), &type);
	if (type != TLS_RECORD_TYPE_DATA) {
		/* Alerts and handshake messages are not the script's. */
		if (err || msg->msg_flags & MSG_CTRUNC) {
			n = -EIO;
			goto out;
		}
	} else {
		err = tls_lua_decide(lua, msg, buf, n);
		if (err) {
			n = err;
			goto out;
		}
	}
	if (copy_to_iter(buf, n, &msg->msg_iter) != n)
		n = -EFAULT;
out:
	kscript_sockbuf_put(&lua->plain, buf, own);
	return n;
}
