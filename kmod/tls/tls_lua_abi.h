/* SPDX-License-Identifier: MIT */
/*
 * SOL_TLS options of kscript's tls.ko, shared by the module and the servers.
 * The original kTLS hook's numbers (3, 4, 10, 11, 12) win over Linux 6.1's own 3
 * (TLS_TX_ZEROCOPY_RO) and 4 (TLS_RX_EXPECT_NO_PAD), which move to 103 and
 * 104 with unchanged meaning; TLS_LUA_ATTACH (13) and TLS_LUA_CMSG (14) are
 * kscript's additions.
 */
#ifndef KSCRIPT_TLS_LUA_ABI_H
#define KSCRIPT_TLS_LUA_ABI_H

#ifndef SOL_TLS
#define SOL_TLS			282
#endif

/* set */
#define TLS_LUA_LOADSCRIPT	3	/* script text; again: one more chunk */
#define TLS_LUA_RECVENTRY	4	/* name of the function recv calls */
#define TLS_LUA_ATTACH		13	/* name of a script loaded with kscript deploy */
#define TLS_LUA_CMSG		14	/* int: 1 = the decision as a cmsg, never EAGAIN */
/* get */
#define TLS_LUA_ERRNO		10	/* int: TLS_LUA_OK or TLS_LUA_RECVERR */
#define TLS_LUA_CODE		11	/* int: the script's code */
#define TLS_LUA_FILE		12	/* string: the script's file, NUL-terminated */

/* Linux 6.1's options 3 and 4, renumbered */
#define TLS_KS_TX_ZEROCOPY_RO	103
#define TLS_KS_RX_EXPECT_NO_PAD	104

#define TLS_LUA_OK		0
#define TLS_LUA_RECVERR		1	/* the script failed */

#define TLS_LUA_ENTRY_MAX	256
#define TLS_LUA_FILE_MAX	4096
#define TLS_LUA_SCRIPT_MAX	65536	/* all chunks together: a tls script's size */
#define TLS_LUA_NAME_MAX	64

/*
 * With TLS_LUA_CMSG set, every recvmsg the hook decided returns the bytes it
 * saw and a control message (SOL_TLS, TLS_LUA_DECISION) holding this, the
 * file NUL-terminated; the control buffer must hold TLS_LUA_CMSG_SPACE.
 */
#define TLS_LUA_DECISION	14
struct tls_lua_decision {
	int status;		/* TLS_LUA_OK / TLS_LUA_RECVERR */
	int code;
	char file[TLS_LUA_FILE_MAX + 1];
};
/* The record type's cmsg and the longest decision's. */
#define TLS_LUA_CMSG_SPACE	(CMSG_SPACE(sizeof(unsigned char)) + \
				 CMSG_SPACE(sizeof(struct tls_lua_decision)))

#endif /* KSCRIPT_TLS_LUA_ABI_H */
