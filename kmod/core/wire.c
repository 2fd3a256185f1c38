// SPDX-License-Identifier: MIT
/* Encoding and decoding of /dev/kscript values (little-endian, typed). */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <asm/unaligned.h>
#include "wire.h"

void kscript_buf_free(struct kscript_buf *b)
{
	kvfree(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

u8 *kscript_buf_room(struct kscript_buf *b, size_t n)
{
	u8 *p;

	if (b->err)
		return NULL;
	if (b->len + n > b->cap) {
		size_t cap = max_t(size_t, 256, b->cap * 2);
		u8 *data;

		while (cap < b->len + n)
			cap *= 2;
		data = kvmalloc(cap, (b->gfp ?: GFP_KERNEL) | __GFP_NOWARN);
		if (!data) {
			b->err = -ENOMEM;
			return NULL;
		}
		if (b->len)
			memcpy(data, b->data, b->len);
		kvfree(b->data);
		b->data = data;
		b->cap = cap;
	}
	p = b->data + b->len;
	b->len += n;
	return p;
}

void kscript_put_nil(struct kscript_buf *b)
{
	u8 *p = kscript_buf_room(b, 1);

	if (p)
		*p = KSCRIPT_V_NIL;
}

void kscript_put_bool(struct kscript_buf *b, bool v)
{
	u8 *p = kscript_buf_room(b, 2);

	if (p) {
		p[0] = KSCRIPT_V_BOOL;
		p[1] = v;
	}
}

void kscript_put_int(struct kscript_buf *b, s64 v)
{
	u8 *p = kscript_buf_room(b, 9);

	if (p) {
		p[0] = KSCRIPT_V_INT;
		put_unaligned_le64(v, p + 1);
	}
}

void kscript_put_str(struct kscript_buf *b, const char *s, size_t len)
{
	u8 *p;

	if (len > U32_MAX) {
		b->err = -E2BIG;
		return;
	}
	p = kscript_buf_room(b, 5 + len);
	if (p) {
		p[0] = KSCRIPT_V_STR;
		put_unaligned_le32(len, p + 1);
		memcpy(p + 5, s, len);
	}
}

void kscript_put_cstr(struct kscript_buf *b, const char *s)
{
	kscript_put_str(b, s, strlen(s));
}

void kscript_put_fmt(struct kscript_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = kvasprintf(GFP_KERNEL, fmt, ap);
	va_end(ap);
	if (!s) {
		b->err = -ENOMEM;
		return;
	}
	kscript_put_cstr(b, s);
	kfree(s);
}

int kscript_get_value(struct kscript_cur *c, struct kscript_value *v)
{
	if (c->left < 1)
		return -EINVAL;
	v->type = c->p[0];
	c->p++;
	c->left--;
	switch (v->type) {
	case KSCRIPT_V_NIL:
		return 0;
	case KSCRIPT_V_BOOL:
		if (c->left < 1 || c->p[0] > 1)
			return -EINVAL;
		v->i = c->p[0];
		c->p++;
		c->left--;
		return 0;
	case KSCRIPT_V_INT:
		if (c->left < 8)
			return -EINVAL;
		v->i = (s64)get_unaligned_le64(c->p);
		c->p += 8;
		c->left -= 8;
		return 0;
	case KSCRIPT_V_STR:
		if (c->left < 4)
			return -EINVAL;
		v->len = get_unaligned_le32(c->p);
		if (c->left - 4 < v->len)
			return -EINVAL;
		v->s = (const char *)c->p + 4;
		c->p += 4 + v->len;
		c->left -= 4 + v->len;
		return 0;
	default:
		return -EINVAL;
	}
}

int kscript_get_str(struct kscript_cur *c, const char **s, size_t *len)
{
	struct kscript_value v;
	int err = kscript_get_value(c, &v);

	if (err)
		return err;
	if (v.type != KSCRIPT_V_STR)
		return -EINVAL;
	*s = v.s;
	*len = v.len;
	return 0;
}

int kscript_get_name(struct kscript_cur *c, char *dst, size_t max)
{
	const char *s;
	size_t len;
	int err = kscript_get_str(c, &s, &len);

	if (err)
		return err;
	if (len > max || memchr(s, '\0', len))
		return -EINVAL;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}
