/* SPDX-License-Identifier: MIT */
/* The "data" binding: luadata-style views over bytes (stdlib/data.d.ts). */
#ifndef KSCRIPT_DATA_H
#define KSCRIPT_DATA_H

#include <linux/types.h>
#include "../lua/klua.h"

/*
 * Bytes a data object views. A hook's input (a packet) lends its bytes for
 * one call: kscript_data_lend() before, kscript_data_end() after, which bumps
 * gen so segments kept past the call see nothing. The input's own view is
 * one object per buffer, made once and lent again each call: a call
 * allocates nothing to see its packet.
 */
struct kscript_data_buf {
	u8 *ptr;
	size_t size;
	u64 gen;
	u8 *spare;	/* kvmalloc'd bytes replacing a lent packet (udp_reply) */
	u8 *lent;	/* the lender's bytes, while lent */
	size_t lent_size;
	struct kscript_data *view;	/* the input's view, or NULL before the first call */
	int view_ref;	/* its registry reference */
	/*
	 * keep: the lender wants its bytes back as they came if the call
	 * fails. They are copied into undo before the first write of the call
	 * (kept), so a call that only reads copies nothing.
	 */
	bool keep;
	bool kept;
	u8 *undo;
	size_t undo_size;
};

struct kscript_script;

void kscript_data_open(lua_State *L, struct kscript_script *s);
/* Push the data object over buf's bytes (lent for the current call). */
void kscript_data_lend(lua_State *L, struct kscript_data_buf *buf, u8 *ptr,
		       size_t size, bool keep);
/* Before bytes of buf are written: keep the lent ones (a Lua error if no memory). */
void kscript_data_will_write(lua_State *L, struct kscript_data_buf *buf);
/* The call failed: the lent bytes as they came. */
void kscript_data_undo(struct kscript_data_buf *buf);
void kscript_data_end(struct kscript_data_buf *buf);
/* A state is closed: the buffer's own memory. */
void kscript_data_free(struct kscript_data_buf *buf);
/* The data object at idx, or NULL; its buffer and window through bufp/offp/lenp. */
struct kscript_data_buf *kscript_data_test(lua_State *L, int idx, size_t *offp,
					   size_t *lenp, bool *whole);

#endif /* KSCRIPT_DATA_H */
