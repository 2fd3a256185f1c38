// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * kscript's recv hook in kTLS, with the original kTLS Lua hook's socket options: after
 * decryption, the socket's script gets the plaintext of one recv and returns
 * code, file. Code 0 hands the bytes to the caller; any other code consumes
 * them and recv fails with EAGAIN, the caller then reads TLS_LUA_CODE and
 * TLS_LUA_FILE. A failing script passes the bytes through and sets
 * TLS_LUA_ERRNO to TLS_LUA_RECVERR.
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
	struct mutex lock;		/* the fields below */
	struct kscript_conn *conn;	/* NULL until loaded or attached */
	char *text;			/* LOADSCRIPT chunks, each "do ...\nend\n" */
	size_t text_len;
	char entry[TLS_LUA_ENTRY_MAX + 1];	/* RECVENTRY, "" if not set */
	bool ready;			/* conn has an entry to call */
	int status;			/* TLS_LUA_OK / TLS_LUA_RECVERR */
	int code;
	char file[TLS_LUA_FILE_MAX + 1];
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
	kvfree(lua->text);
	mutex_destroy(&lua->lock);
	kfree(lua);
}

/* LOADSCRIPT: one more chunk, run after the earlier ones as in one state. */
static int tls_lua_load(struct tls_lua *lua, const char *chunk, size_t len)
{
	static const char head[] = "do ", tail[] = "\nend\n";
	size_t total = lua->text_len + sizeof(head) - 1 + len + sizeof(tail) - 1;
	struct kscript_conn *conn, *old;
	char err[128];
	char *text;

	if (total > TLS_LUA_SCRIPT_MAX)
		return -EFBIG;
	text = kvmalloc(total, GFP_KERNEL);
	if (!text)
		return -ENOMEM;
	if (lua->text_len)
		memcpy(text, lua->text, lua->text_len);
	memcpy(text + lua->text_len, head, sizeof(head) - 1);
	memcpy(text + lua->text_len + sizeof(head) - 1, chunk, len);
	memcpy(text + total - (sizeof(tail) - 1), tail, sizeof(tail) - 1);

	conn = kscript_conn_load(KSCRIPT_HOOK_TLS, "tls", text, total, err,
				 sizeof(err));
	if (IS_ERR(conn)) {
		net_info_ratelimited("tls: TLS_LUA_LOADSCRIPT refused: %s\n",
				     err);
		kvfree(text);
		return PTR_ERR(conn);
	}
	if (lua->entry[0] && kscript_conn_set_entry(conn, lua->entry)) {
		kscript_conn_release(conn);
		kvfree(text);
		return -EINVAL;
	}
	old = lua->conn;
	lua->conn = conn;
	lua->ready = lua->entry[0];
	kvfree(lua->text);
	lua->text = text;
	lua->text_len = total;
	kscript_conn_release(old);
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
	kvfree(lua->text);
	lua->text = NULL;
	lua->text_len = 0;
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

static int tls_lua_put(char __user *optval, int __user *optlen, int len,
		       const void *value, int size)
{
	if (len < size)
		return -EINVAL;
	if (copy_to_user(optval, value, size) || put_user(size, optlen))
		return -EFAULT;
	return 0;
}

int tls_lua_getsockopt(struct sock *sk, int optname, char __user *optval,
		       int __user *optlen)
{
	struct tls_lua *lua = tls_lua_peek(sk);
	int len, value, err;

	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	if (optname != TLS_LUA_ERRNO && optname != TLS_LUA_CODE &&
	    optname != TLS_LUA_FILE)
		return -ENOPROTOOPT;
	/* No script yet: status OK, code 0, no file. */
	if (!lua) {
		value = 0;
		return optname == TLS_LUA_FILE ?
		       tls_lua_put(optval, optlen, len, "", 1) :
		       tls_lua_put(optval, optlen, len, &value, sizeof(value));
	}
	mutex_lock(&lua->lock);
	value = optname == TLS_LUA_ERRNO ? lua->status : lua->code;
	if (optname == TLS_LUA_FILE)
		err = tls_lua_put(optval, optlen, len, lua->file,
				  strlen(lua->file) + 1);
	else
		err = tls_lua_put(optval, optlen, len, &value, sizeof(value));
	mutex_unlock(&lua->lock);
	return err;
}

/*
 * recvmsg of a socket with a script: decrypt into a kernel buffer (at most
 * one record's worth), let the script see it, then copy it out or consume it.
 * MSG_PEEK reads are not the script's business: they go straight through.
 */
int tls_lua_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
		    int flags, int *addr_len)
{
	struct tls_lua *lua = tls_lua_peek(sk);
	char cbuf[CMSG_SPACE(sizeof(u8))];
	u8 type = TLS_RECORD_TYPE_DATA;
	struct msghdr kmsg = {};
	struct kvec kv;
	int n, err, code = 0;
	bool ready;
	u8 *buf;

	if (!lua || (flags & (MSG_PEEK | MSG_ERRQUEUE)))
		return tls_sw_recvmsg(sk, msg, len, flags, addr_len);
	mutex_lock(&lua->lock);
	ready = lua->ready;
	mutex_unlock(&lua->lock);
	if (!ready)
		return tls_sw_recvmsg(sk, msg, len, flags, addr_len);

	len = min(len, TLS_MAX_PAYLOAD_SIZE);
	buf = kvmalloc(max_t(size_t, len, 1), GFP_KERNEL);
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
		mutex_lock(&lua->lock);
		err = kscript_conn_tls_recv(lua->conn, buf, n, &code,
					    lua->file, sizeof(lua->file));
		if (err) {
			/* Counted and logged by kscript.ko: pass through. */
			code = 0;
			lua->file[0] = '\0';
		}
		lua->status = err ? TLS_LUA_RECVERR : TLS_LUA_OK;
		lua->code = code;
		mutex_unlock(&lua->lock);
		if (code) {
			n = -EAGAIN;
			goto out;
		}
	}
	if (copy_to_iter(buf, n, &msg->msg_iter) != n)
		n = -EFAULT;
out:
	kvfree(buf);
	return n;
}
