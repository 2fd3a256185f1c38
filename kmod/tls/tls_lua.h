/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * The kscript recv hook of tls.ko: what tls-lua.patch calls from Linux 6.1's
 * net/tls. The script itself runs in kscript.ko (hook.h).
 */
#ifndef KSCRIPT_TLS_LUA_H
#define KSCRIPT_TLS_LUA_H

#include <linux/sockptr.h>
#include <net/tls.h>
#include "tls_lua_abi.h"

struct tls_lua;

/*
 * Every tls_context is allocated as this, so the hook's state hangs off it
 * without changing struct tls_context (drivers and net/core see it too).
 */
struct tls_lua_context {
	struct tls_context base;	/* first: kfree_rcu(ctx, rcu) frees all */
	struct tls_lua *lua;		/* NULL until a TLS_LUA_* option is set */
};

/* A TLS_LUA_* option: handled by tls_lua_{set,get}sockopt, not under lock_sock. */
static inline bool tls_lua_option(int optname)
{
	switch (optname) {
	case TLS_LUA_LOADSCRIPT:
	case TLS_LUA_RECVENTRY:
	case TLS_LUA_ATTACH:
	case TLS_LUA_CMSG:
	case TLS_LUA_ERRNO:
	case TLS_LUA_CODE:
	case TLS_LUA_FILE:
		return true;
	}
	return false;
}

int tls_lua_setsockopt(struct sock *sk, int optname, sockptr_t optval,
		       unsigned int optlen);
int tls_lua_getsockopt(struct sock *sk, int optname, char __user *optval,
		       int __user *optlen);
int tls_lua_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
		    int flags, int *addr_len);
/* From tls_ctx_free(): the socket is gone, any context. */
void tls_lua_ctx_release(struct tls_context *ctx);

#endif /* KSCRIPT_TLS_LUA_H */
