/* SPDX-License-Identifier: MIT */
/* One call into a script's state (call.c), for the hooks that make them. */
#ifndef KSCRIPT_CALL_H
#define KSCRIPT_CALL_H

#include "kscript.h"

struct kscript_run_args {
	struct kscript_script *s;
	struct kscript_state *st;
	const char *func;	/* a plain call (test-run), else NULL */
	const char *entry;	/* the entry hooks call: the script's or the socket's */
	u8 *input;
	size_t input_len;
	u8 *arg;		/* xdp's optional argument data */
	size_t arg_len;
	struct kscript_buf *reply;	/* test-run: results encoded here */
	/* A hook's call (reply NULL): the results, checked. */
	lua_Integer code;	/* tls code, xdp action */
	struct kscript_xdp_result *xdp;
	char *file;
	size_t file_size;
	bool strict;		/* tls: an integer code and a string file, or fail */
	bool allow;
};

/*
 * One call into st (the caller holds it: its lock, or this CPU with bottom
 * halves off); 0, or -errno when the script failed (recorded).
 */
int kscript_call(struct kscript_state *st, struct kscript_run_args *a,
		 gfp_t gfp);

#endif /* KSCRIPT_CALL_H */
