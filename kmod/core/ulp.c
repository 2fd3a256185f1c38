// SPDX-License-Identifier: MIT
/*
 * The TCP ULP "lua" (after tammela/ulp-lua, target sock): set on a listening socket with
 * setsockopt(fd, SOL_TCP, TCP_ULP, "lua"), given a script with SOL_LUA
 * options; every recvmsg on an accepted socket first shows the script the
 * bytes waiting in the receive queue, and a falsy answer makes the recv
 * fail with ECONNREFUSED. Accepted sockets share the listener's script and
 * each runs on a Lua state of its own (kscript_conn).
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/uio.h>
#include <linux/mutex.h>
#include <net/tcp.h>
#include <net/inet_connection_sock.h>
#include "kscript.h"
#include "hook.h"

/* ulp-lua's ABI: numbers stay byte-compatible with its user-space programs. */
#define SOL_LUA			999
#define ULP_LOADSCRIPT		1
#define ULP_ENTRYPOINT		2
/* kscript's addition: attach to a script loaded with kscript deploy. */
#define ULP_ATTACH		3

#define ULP_SCRIPT_MAX		8192
#define ULP_ENTRY_SIZE		64	/* with the NUL */
/* What the script sees of the receive queue: a request's head. */
#define ULP_PEEK_MAX		16384

struct kscript_ulp {
	spinlock_t lock;		/* guards conn: a listener clones it in softirq */
	struct kscript_conn *conn;	/* NULL until a script is given */
	char entry[ULP_ENTRY_SIZE];	/* ULP_ENTRYPOINT, kept across script changes */
	struct kscript_sockbuf peek;	/* what recvmsg shows the script */
};

/* The TCP protos (IPv4, IPv6) with recvmsg and setsockopt taken over. */
struct kscript_ulp_prot {
	struct proto *base;	/* the socket's proto before the ULP */
	struct proto prot;
};
static struct kscript_ulp_prot kscript_ulp_prots[2];
static DEFINE_MUTEX(kscript_ulp_prots_lock);

static struct kscript_ulp *kscript_ulp_of(const struct sock *sk)
{
	return inet_csk(sk)->icsk_ulp_data;
}

static struct proto *kscript_ulp_base(const struct sock *sk)
{
	return container_of(sk->sk_prot, struct kscript_ulp_prot, prot)->base;
}

/* Under the socket lock, which setsockopt takes to replace the script. */
static bool kscript_ulp_allows(struct sock *sk, u8 *buf, size_t len)
{
	struct kscript_ulp *ulp = kscript_ulp_of(sk);
	bool allow = true;

	lock_sock(sk);
	/* A script error lets the data through: the safety model. */
	if (ulp && ulp->conn)
		kscript_conn_sock_process(ulp->conn, buf, len, &allow);
	release_sock(sk);
	return allow;
}

static int kscript_ulp_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
			       int flags, int *addr_len)
{
	struct kscript_ulp *ulp = kscript_ulp_of(sk);
	struct proto *base = kscript_ulp_base(sk);
	struct msghdr peek = {};
	struct kvec vec;
	bool allow, own;
	int n;

	if (!ulp || !READ_ONCE(ulp->conn) || (flags & MSG_PEEK) || !len)
		return base->recvmsg(sk, msg, len, flags, addr_len);
	vec.iov_len = min_t(size_t, len, ULP_PEEK_MAX);
	vec.iov_base = kscript_sockbuf_get(&ulp->peek, vec.iov_len, &own);
	if (!vec.iov_base)
		return -ENOMEM;
	/* Waits for data as the caller's recv would (blocking or not). */
	iov_iter_kvec(&peek.msg_iter, READ, &vec, 1, vec.iov_len);
	n = base->recvmsg(sk, &peek, vec.iov_len,
			  (flags & ~MSG_WAITALL) | MSG_PEEK, addr_len);
	allow = n <= 0 || kscript_ulp_allows(sk, vec.iov_base, n);
	kscript_sockbuf_put(&ulp->peek, vec.iov_base, own);
	if (n <= 0)
		return n;
	if (!allow)
		return -ECONNREFUSED;
	return base->recvmsg(sk, msg, len, flags, addr_len);
}

/* Replace the socket's script; the old one goes when its last user does. */
static void kscript_ulp_set_conn(struct kscript_ulp *ulp,
				 struct kscript_conn *conn)
{
	struct kscript_conn *old;

	spin_lock_bh(&ulp->lock);
	old = ulp->conn;
	ulp->conn = conn;
	spin_unlock_bh(&ulp->lock);
	kscript_conn_release(old);
}

static int kscript_ulp_load(struct kscript_ulp *ulp, sockptr_t optval,
			    unsigned int optlen)
{
	struct kscript_conn *conn;
	char err[KSCRIPT_ERROR_MAX];
	char *text;

	if (optlen == 0 || optlen > ULP_SCRIPT_MAX)
		return -EINVAL;
	text = kvmalloc(optlen, GFP_KERNEL);
	if (!text)
		return -ENOMEM;
	if (copy_from_sockptr(text, optval, optlen)) {
		kvfree(text);
		return -EFAULT;
	}
	conn = kscript_conn_load(KSCRIPT_HOOK_SOCK, "ulp", text, optlen, err,
				 sizeof(err));
	kvfree(text);
	if (IS_ERR(conn)) {
		pr_warn_ratelimited("kscript: ulp: %s\n", err);
		return PTR_ERR(conn) == -ENOMEM ? -ENOMEM : -EINVAL;
	}
	if (ulp->entry[0] && kscript_conn_set_entry(conn, ulp->entry)) {
		kscript_conn_release(conn);
		return -EINVAL;
	}
	kscript_ulp_set_conn(ulp, conn);
	return 0;
}

/* A NUL-terminated name of at most size bytes with the NUL. */
static int kscript_ulp_name(char *dst, size_t size, sockptr_t optval,
			    unsigned int optlen)
{
	if (optlen == 0 || optlen > size)
		return -EINVAL;
	memset(dst, 0, size);
	if (copy_from_sockptr(dst, optval, optlen))
		return -EFAULT;
	return dst[size - 1] ? -EINVAL : 0;
}

static int kscript_ulp_setsockopt(struct sock *sk, int level, int optname,
				  sockptr_t optval, unsigned int optlen)
{
	struct kscript_ulp *ulp = kscript_ulp_of(sk);
	char name[KSCRIPT_NAME_MAX + 1];
	struct kscript_conn *conn;
	int err;

	if (level != SOL_LUA)
		return kscript_ulp_base(sk)->setsockopt(sk, level, optname,
							optval, optlen);
	if (!ulp)
		return -ENOMEM;	/* the clone could not get its context */
	lock_sock(sk);
	switch (optname) {
	case ULP_LOADSCRIPT:
		err = kscript_ulp_load(ulp, optval, optlen);
		break;
	case ULP_ENTRYPOINT:
		err = kscript_ulp_name(name, ULP_ENTRY_SIZE, optval, optlen);
		if (err)
			break;
		if (!kscript_name_ok(name))
			err = -EINVAL;
		else if (ulp->conn)
			err = kscript_conn_set_entry(ulp->conn, name);
		if (!err)
			strscpy(ulp->entry, name, sizeof(ulp->entry));
		break;
	case ULP_ATTACH:
		err = kscript_ulp_name(name, sizeof(name), optval, optlen);
		if (err)
			break;
		conn = kscript_conn_attach(name, KSCRIPT_HOOK_SOCK);
		if (IS_ERR(conn)) {
			err = PTR_ERR(conn);
			break;
		}
		err = ulp->entry[0] ? kscript_conn_set_entry(conn, ulp->entry) : 0;
		if (err)
			kscript_conn_release(conn);
		else
			kscript_ulp_set_conn(ulp, conn);
		break;
	default:
		err = -ENOPROTOOPT;
		break;
	}
	release_sock(sk);
	return err;
}

/* This socket's proto with the ULP's functions, built once per base. */
static struct proto *kscript_ulp_prot(struct proto *base)
{
	struct proto *prot = NULL;
	size_t i;

	mutex_lock(&kscript_ulp_prots_lock);
	for (i = 0; i < ARRAY_SIZE(kscript_ulp_prots) && !prot; i++) {
		if (!kscript_ulp_prots[i].base) {
			kscript_ulp_prots[i].prot = *base;
			kscript_ulp_prots[i].prot.recvmsg = kscript_ulp_recvmsg;
			kscript_ulp_prots[i].prot.setsockopt =
				kscript_ulp_setsockopt;
			/* Publish the base last: lookups read it unlocked. */
			smp_store_release(&kscript_ulp_prots[i].base, base);
		}
		if (kscript_ulp_prots[i].base == base)
			prot = &kscript_ulp_prots[i].prot;
	}
	mutex_unlock(&kscript_ulp_prots_lock);
	return prot;
}

static int kscript_ulp_init(struct sock *sk)
{
	struct proto *prot;
	struct kscript_ulp *ulp;

	if (sk->sk_family != AF_INET && sk->sk_family != AF_INET6)
		return -EAFNOSUPPORT;
	prot = kscript_ulp_prot(sk->sk_prot);
	if (!prot)
		return -EOPNOTSUPP;
	ulp = kzalloc(sizeof(*ulp), GFP_KERNEL);
	if (!ulp)
		return -ENOMEM;
	spin_lock_init(&ulp->lock);
	kscript_sockbuf_init(&ulp->peek);
	inet_csk(sk)->icsk_ulp_data = ulp;
	WRITE_ONCE(sk->sk_prot, prot);
	return 0;
}

/* In softirq, as a connection is accepted: its own hold on the script. */
static void kscript_ulp_clone(const struct request_sock *req,
			      struct sock *newsk, const gfp_t priority)
{
	struct inet_connection_sock *icsk = inet_csk(newsk);
	struct kscript_ulp *parent = icsk->icsk_ulp_data;
	struct kscript_ulp *ulp;

	/* tcp_cleanup_ulp puts the module for every socket with the ULP. */
	__module_get(THIS_MODULE);
	ulp = kzalloc(sizeof(*ulp), priority);
	icsk->icsk_ulp_data = ulp;
	if (!ulp)
		return;		/* recvmsg without a script: plain TCP */
	spin_lock_init(&ulp->lock);
	kscript_sockbuf_init(&ulp->peek);
	strscpy(ulp->entry, parent->entry, sizeof(ulp->entry));
	spin_lock(&parent->lock);
	if (parent->conn)
		ulp->conn = kscript_conn_clone(parent->conn, priority);
	spin_unlock(&parent->lock);
}

static void kscript_ulp_release(struct sock *sk)
{
	struct kscript_ulp *ulp = kscript_ulp_of(sk);

	if (!ulp)
		return;
	kscript_conn_release(ulp->conn);
	kscript_sockbuf_free(&ulp->peek);
	kfree(ulp);
	inet_csk(sk)->icsk_ulp_data = NULL;
}

static struct tcp_ulp_ops kscript_ulp_ops = {
	.name = "lua",
	.owner = THIS_MODULE,
	.init = kscript_ulp_init,
	.clone = kscript_ulp_clone,
	.release = kscript_ulp_release,
};

int kscript_ulp_register(void)
{
	return tcp_register_ulp(&kscript_ulp_ops);
}

void kscript_ulp_unregister(void)
{
	tcp_unregister_ulp(&kscript_ulp_ops);
}

MODULE_ALIAS_TCP_ULP("lua");
