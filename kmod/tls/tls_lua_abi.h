/* SPDX-License-Identifier: MIT */
/*
 * SOL_TLS options of kscript's tls.ko, shared by the module and the servers.
 * The original kTLS hook's numbers (3, 4, 10, 11, 12) win over Linux 6.1's own 3
 * (TLS_TX_ZEROCOPY_RO) and 4 (TLS_RX_EXPECT_NO_PAD), which move to 103 and
 * 104 with unchanged meaning; TLS_LUA_ATTACH (13) is kscript's addition.
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
/* get */
#define TLS_LUA_ERRNO		10	/* int: TLS_LUA_OK or TLS_LUA_RECVERR */
#define TLS_LUA_CODE		11	/* int: the script's code */
#define TLS_LUA_FILE		12	/* string: the script's file, NUL-terminated */

/* Linux 6.1's options 3 and 4, renumbered */
#define TLS_KS_TX_ZEROCOPY_RO	103
#define TLS_KS_RX_EXPECT_NO_PAD	104

#define TLS_LUA_OK		0
#define TLS_LUA_RECVERR		1	/* the script failed: data passed through */

#define TLS_LUA_ENTRY_MAX	256
#define TLS_LUA_FILE_MAX	4096
#define TLS_LUA_SCRIPT_MAX	65536	/* all chunks together: a tls script's size */
#define TLS_LUA_NAME_MAX	64

#endif /* KSCRIPT_TLS_LUA_ABI_H */
