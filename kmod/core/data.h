/* SPDX-License-Identifier: MIT */
/* The "data" binding: luadata-style views over bytes (stdlib/data.d.ts). */
#ifndef KSCRIPT_DATA_H
#define KSCRIPT_DATA_H

#include <linux/types.h>
#include "../lua/klua.h"

/*
 * Bytes a data object views. A hook's input (a packet) lends its bytes for
 * one call: kscript_data_lend() before, kscript_data_end() after, which bumps
 * gen so views kept past the call see nothing.
 */
struct kscript_data_buf {
	u8 *ptr;
	size_t size;
	u64 gen;
	u8 *spare;	/* kvmalloc'd bytes replacing a lent packet (udp_reply) */
};

struct kscript_script;

void kscript_data_open(lua_State *L, struct kscript_script *s);
/* Push a data object over buf's bytes (lent for the current call). */
void kscript_data_lend(lua_State *L, struct kscript_data_buf *buf, u8 *ptr,
		       size_t size);
void kscript_data_end(struct kscript_data_buf *buf);
/* The data object at idx, or NULL; its buffer and window through bufp/offp/lenp. */
struct kscript_data_buf *kscript_data_test(lua_State *L, int idx, size_t *offp,
					   size_t *lenp, bool *whole);

#endif /* KSCRIPT_DATA_H */
