/* SPDX-License-Identifier: MIT */
/* /dev/kscript framing (kmod/README.md); constants from common/dialect.ts WIRE. */
#ifndef KSCRIPT_WIRE_H
#define KSCRIPT_WIRE_H

#include <linux/types.h>
#include <linux/gfp.h>

#include "../generated/wire.h"

struct kscript_hdr {
	__le32 magic;
	__le16 version;
	__le16 op;
	__le32 status;		/* reply: 0 or -errno */
	__le32 length;		/* payload bytes that follow */
} __packed;

struct kscript_value {
	enum kscript_vtype type;
	s64 i;			/* BOOL, INT */
	const char *s;		/* STR: points into the request */
	u32 len;
};

/* A growing reply; a failed append leaves err set and later ones no-ops. */
struct kscript_buf {
	u8 *data;
	size_t len;
	size_t cap;
	gfp_t gfp;		/* GFP_ATOMIC while a softirq-style call runs */
	int err;
};

void kscript_buf_free(struct kscript_buf *b);
/* Append n bytes to fill in; NULL (and err set) when out of memory. */
u8 *kscript_buf_room(struct kscript_buf *b, size_t n);
void kscript_put_nil(struct kscript_buf *b);
void kscript_put_bool(struct kscript_buf *b, bool v);
void kscript_put_int(struct kscript_buf *b, s64 v);
void kscript_put_str(struct kscript_buf *b, const char *s, size_t len);
void kscript_put_cstr(struct kscript_buf *b, const char *s);
void kscript_put_fmt(struct kscript_buf *b, const char *fmt, ...)
	__printf(2, 3);

struct kscript_cur {
	const u8 *p;
	size_t left;
};

int kscript_get_value(struct kscript_cur *c, struct kscript_value *v);
/* A string field copied NUL-terminated into dst (at most max bytes). */
int kscript_get_name(struct kscript_cur *c, char *dst, size_t max);
int kscript_get_str(struct kscript_cur *c, const char **s, size_t *len);

#endif /* KSCRIPT_WIRE_H */
