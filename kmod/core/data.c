// SPDX-License-Identifier: MIT
/*
 * The "data" binding, after luadata (as in Lunatik): a data object is a
 * window (offset, length) on bytes; segments share them. Layout fields
 * address bits, MSB first, network order unless "little"/"host"/"le";
 * string fields address bytes. A field outside the window, or a number
 * wider than 64 bits, reads as nil and ignores writes; the byte accessors
 * raise an error out of bounds. Mirrors runtime/bindings/data.ts.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/mm.h>
#include "data.h"

#define KSCRIPT_DATA_MT		"kscript.data"
#define KSCRIPT_LAYOUT_MT	"kscript.data.layout"
/* Weak-keyed registry table: data object -> the layout it uses. */
#define KSCRIPT_DATA_ANCHOR	"kscript.data.anchor"
#define KSCRIPT_DATA_TO_END	SIZE_MAX

struct kscript_field {
	const char *name;	/* interned in the layout's name table */
	size_t offset;		/* bits; bytes for strings */
	size_t length;
	bool string;
	bool little;
};

struct kscript_layout {
	size_t n;
	struct kscript_field fields[];
};

struct kscript_data {
	struct kscript_data_buf *buf;
	u64 gen;		/* buf->gen when made */
	size_t offset;
	size_t length;		/* KSCRIPT_DATA_TO_END: to the end of buf */
	const struct kscript_layout *layout;
};

/* data.new's bytes: the buffer and its bytes in one Lua userdata. */
struct kscript_data_owned {
	struct kscript_data_buf buf;
	u8 bytes[];
};

static size_t kscript_data_len(const struct kscript_data *d)
{
	size_t size = d->gen == d->buf->gen ? d->buf->size : 0;

	if (d->offset >= size)
		return 0;
	if (d->length == KSCRIPT_DATA_TO_END)
		return size - d->offset;
	return min(d->length, size - d->offset);
}

static u8 *kscript_data_ptr(const struct kscript_data *d)
{
	return d->buf->ptr + d->offset;
}

static struct kscript_data *kscript_data_check(lua_State *L, int idx)
{
	return luaL_checkudata(L, idx, KSCRIPT_DATA_MT);
}

/* A new data object on buf; anchor (a userdata or nil) keeps its bytes alive. */
static struct kscript_data *kscript_data_push(lua_State *L,
					      struct kscript_data_buf *buf,
					      size_t offset, size_t length,
					      int anchor)
{
	struct kscript_data *d;

	anchor = lua_absindex(L, anchor);
	d = lua_newuserdata(L, sizeof(*d));
	d->buf = buf;
	d->gen = buf->gen;
	d->offset = offset;
	d->length = length;
	d->layout = NULL;
	luaL_setmetatable(L, KSCRIPT_DATA_MT);
	lua_pushvalue(L, anchor);
	lua_setuservalue(L, -2);
	return d;
}

void kscript_data_lend(lua_State *L, struct kscript_data_buf *buf, u8 *ptr,
		       size_t size, bool keep)
{
	struct kscript_data *d = buf->view;

	buf->ptr = buf->lent = ptr;
	buf->size = buf->lent_size = size;
	buf->keep = keep;
	buf->kept = false;
	if (d) {
		lua_rawgeti(L, LUA_REGISTRYINDEX, buf->view_ref);
		/* What the last call left on it goes: its layout, its staleness. */
		d->gen = buf->gen;
		d->layout = NULL;
		return;
	}
	lua_pushnil(L);
	d = kscript_data_push(L, buf, 0, KSCRIPT_DATA_TO_END, -1);
	lua_remove(L, -2);
	lua_pushvalue(L, -1);
	buf->view_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	buf->view = d;
}

void kscript_data_will_write(lua_State *L, struct kscript_data_buf *buf)
{
	u8 *undo;

	/* Bytes of udp_reply's own (ptr != lent) are not the lender's. */
	if (!buf->keep || buf->kept || buf->ptr != buf->lent)
		return;
	/* Grown to the largest packet written so far, then kept. */
	if (buf->lent_size > buf->undo_size) {
		undo = kvmalloc(buf->lent_size, klua_ctx(L)->gfp | __GFP_NOWARN);
		if (!undo)
			luaL_error(L, "no memory to keep a copy of the packet");
		kvfree(buf->undo);
		buf->undo = undo;
		buf->undo_size = buf->lent_size;
	}
	memcpy(buf->undo, buf->lent, buf->lent_size);
	buf->kept = true;
}

void kscript_data_undo(struct kscript_data_buf *buf)
{
	if (buf->kept)
		memcpy(buf->lent, buf->undo, buf->lent_size);
}

void kscript_data_end(struct kscript_data_buf *buf)
{
	if (buf->spare) {	/* rare: only a packet udp_reply grew */
		kvfree(buf->spare);
		buf->spare = NULL;
	}
	buf->ptr = NULL;
	buf->lent = NULL;
	buf->size = buf->lent_size = 0;
	buf->kept = false;
	buf->gen++;
}

void kscript_data_free(struct kscript_data_buf *buf)
{
	kvfree(buf->undo);
	buf->undo = NULL;
	buf->undo_size = 0;
}

struct kscript_data_buf *kscript_data_test(lua_State *L, int idx, size_t *offp,
					   size_t *lenp, bool *whole)
{
	struct kscript_data *d = luaL_testudata(L, idx, KSCRIPT_DATA_MT);

	if (!d)
		return NULL;
	*offp = d->offset;
	*lenp = kscript_data_len(d);
	*whole = d->offset == 0 && d->length == KSCRIPT_DATA_TO_END;
	return d->buf;
}

/* Offset (0-based) and size inside the window, or a Lua error. */
static u8 *kscript_data_range(lua_State *L, struct kscript_data *d,
			      lua_Integer off, lua_Integer size)
{
	size_t len = kscript_data_len(d);

	if (off < 0 || size < 0 || (lua_Unsigned)off + size > len)
		luaL_argerror(L, 2, "out of bounds");
	return kscript_data_ptr(d) + off;
}

static int kscript_data_getbyte(lua_State *L)
{
	struct kscript_data *d = kscript_data_check(L, 1);

	lua_pushinteger(L, *kscript_data_range(L, d, luaL_checkinteger(L, 2), 1));
	return 1;
}

static int kscript_data_getuint16(lua_State *L)
{
	struct kscript_data *d = kscript_data_check(L, 1);
	u8 *p = kscript_data_range(L, d, luaL_checkinteger(L, 2), 2);

	lua_pushinteger(L, p[0] << 8 | p[1]);
	return 1;
}

static int kscript_data_getuint32(lua_State *L)
{
	struct kscript_data *d = kscript_data_check(L, 1);
	u8 *p = kscript_data_range(L, d, luaL_checkinteger(L, 2), 4);

	lua_pushinteger(L, (u32)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]);
	return 1;
}

/* Big-endian store of the low size bytes, as luadata's setters truncate. */
static int kscript_data_setint(lua_State *L, int size)
{
	struct kscript_data *d = kscript_data_check(L, 1);
	lua_Integer off = luaL_checkinteger(L, 2);
	lua_Unsigned v = luaL_checkinteger(L, 3);
	u8 *p = kscript_data_range(L, d, off, size);
	int i;

	kscript_data_will_write(L, d->buf);
	for (i = size - 1; i >= 0; i--, v >>= 8)
		p[i] = v & 0xff;
	return 0;
}

static int kscript_data_setbyte(lua_State *L)
{
	return kscript_data_setint(L, 1);
}

static int kscript_data_setuint16(lua_State *L)
{
	return kscript_data_setint(L, 2);
}

static int kscript_data_setuint32(lua_State *L)
{
	return kscript_data_setint(L, 4);
}

static int kscript_data_getstring(lua_State *L)
{
	struct kscript_data *d = kscript_data_check(L, 1);
	lua_Integer off = luaL_optinteger(L, 2, 0);
	lua_Integer n = luaL_optinteger(L, 3, (lua_Integer)kscript_data_len(d) - off);

	lua_pushlstring(L, (char *)kscript_data_range(L, d, off, n), n);
	return 1;
}

static int kscript_data_segment(lua_State *L)
{
	struct kscript_data *d = kscript_data_check(L, 1);
	lua_Integer len = kscript_data_len(d);
	lua_Integer off = luaL_optinteger(L, 2, 0);
	lua_Integer n = luaL_optinteger(L, 3, len - off);

	if (off < 0 || n < 0 || off > len || n > len - off) {
		lua_pushnil(L);
		return 1;
	}
	lua_getuservalue(L, 1);	/* the same bytes stay alive */
	kscript_data_push(L, d->buf, d->offset + off, n, -1);
	return 1;
}

/* One field of a layout table: {off, len[, type][, endian]} or named keys. */
static void kscript_layout_field(lua_State *L, struct kscript_field *f,
				 const char *name)
{
	static const char *const keys[] = { "offset", "length", "type", "endian" };
	int i, t = lua_absindex(L, -1);
	const char *type, *endian;
	lua_Integer num[2];

	f->name = name;
	for (i = 0; i < 4; i++) {
		if (lua_getfield(L, t, keys[i]) == LUA_TNIL) {
			lua_pop(L, 1);
			lua_geti(L, t, i + 1);
		}
	}
	/* stack: field table, offset, length, type, endian */
	for (i = 0; i < 2; i++) {
		if (!lua_isinteger(L, -4 + i))
			num[i] = -1;
		else
			num[i] = lua_tointeger(L, -4 + i);
	}
	if (num[0] < 0 || num[1] <= 0)
		luaL_error(L, "layout field '%s' needs a non-negative offset and a positive length",
			   name);
	type = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
	endian = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
	/* {off, len, endian} as in luadata's README, {off, len, type[, endian]} as in its tests. */
	if (type && strcmp(type, "s") && strcmp(type, "string") &&
	    strcmp(type, "n") && strcmp(type, "number")) {
		endian = type;
		type = "number";
	}
	if (endian && strcmp(endian, "big") && strcmp(endian, "net") &&
	    strcmp(endian, "be") && strcmp(endian, "little") &&
	    strcmp(endian, "host") && strcmp(endian, "le"))
		luaL_error(L, "layout field '%s': unknown endianness '%s'", name,
			   endian);
	f->offset = num[0];
	f->length = num[1];
	f->string = type && (!strcmp(type, "s") || !strcmp(type, "string"));
	f->little = endian && (!strcmp(endian, "little") ||
			       !strcmp(endian, "host") || !strcmp(endian, "le"));
	lua_pop(L, 4);
}

/*
 * Compile the layout table at idx into a layout userdata (pushed). Its
 * uservalue is a table holding the field names, so they live as long as it.
 */
static struct kscript_layout *kscript_layout_compile(lua_State *L, int idx)
{
	struct kscript_layout *layout;
	size_t n = 0;

	idx = lua_absindex(L, idx);
	luaL_checktype(L, idx, LUA_TTABLE);
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		n++;
	}
	layout = lua_newuserdata(L, struct_size(layout, fields, n));
	layout->n = 0;
	luaL_setmetatable(L, KSCRIPT_LAYOUT_MT);
	lua_createtable(L, n, 0);
	lua_pushnil(L);
	while (layout->n < n && lua_next(L, idx)) {
		const char *name;

		if (lua_type(L, -2) != LUA_TSTRING)
			luaL_error(L, "layout field names must be strings");
		name = lua_tostring(L, -2);
		if (!lua_istable(L, -1))
			luaL_error(L, "layout field '%s' must be a table", name);
		lua_pushvalue(L, -2);
		lua_rawseti(L, -4, layout->n + 1);	/* keeps the name alive */
		kscript_layout_field(L, &layout->fields[layout->n], name);
		layout->n++;
		lua_pop(L, 1);
	}
	if (layout->n == n)	/* else lua_next ended the walk and popped the key */
		lua_pop(L, 1);
	lua_setuservalue(L, -2);
	return layout;
}

static int kscript_data_layout(lua_State *L)
{
	struct kscript_data *d = kscript_data_check(L, 1);
	const struct kscript_layout *layout = luaL_testudata(L, 2, KSCRIPT_LAYOUT_MT);

	if (layout)
		lua_pushvalue(L, 2);
	else
		layout = kscript_layout_compile(L, 2);
	/* anchor[d] = layout userdata, weakly keyed by d */
	lua_getfield(L, LUA_REGISTRYINDEX, KSCRIPT_DATA_ANCHOR);
	lua_pushvalue(L, 1);
	lua_pushvalue(L, -3);
	lua_rawset(L, -3);
	d->layout = layout;
	lua_settop(L, 1);
	return 1;
}

static int kscript_data_new_layout(lua_State *L)
{
	kscript_layout_compile(L, 1);
	return 1;
}

static const struct kscript_field *kscript_data_field(struct kscript_data *d,
						      const char *key)
{
	size_t i, len = kscript_data_len(d);

	if (!d->layout)
		return NULL;
	for (i = 0; i < d->layout->n; i++) {
		const struct kscript_field *f = &d->layout->fields[i];

		if (strcmp(f->name, key))
			continue;
		if (f->string)
			return f->offset + f->length <= len ? f : NULL;
		if (f->length > 64 || f->offset + f->length > len * 8)
			return NULL;
		return f;
	}
	return NULL;
}

static u64 kscript_bits_read(const u8 *p, const struct kscript_field *f)
{
	size_t i;
	u64 v = 0;

	if (f->little && f->offset % 8 == 0 && f->length % 8 == 0) {
		for (i = f->length / 8; i-- > 0;)
			v = v << 8 | p[f->offset / 8 + i];
		return v;
	}
	for (i = f->offset; i < f->offset + f->length; i++)
		v = v << 1 | ((p[i >> 3] >> (7 - (i & 7))) & 1);
	return v;
}

static void kscript_bits_write(u8 *p, const struct kscript_field *f, u64 v)
{
	size_t i;

	if (f->little && f->offset % 8 == 0 && f->length % 8 == 0) {
		for (i = 0; i < f->length / 8; i++, v >>= 8)
			p[f->offset / 8 + i] = v & 0xff;
		return;
	}
	for (i = f->offset + f->length; i-- > f->offset; v >>= 1) {
		u8 mask = 1 << (7 - (i & 7));

		if (v & 1)
			p[i >> 3] |= mask;
		else
			p[i >> 3] &= ~mask;
	}
}

static int kscript_data_index(lua_State *L)
{
	const struct kscript_field *f;
	struct kscript_data *d;

	if (lua_type(L, 2) != LUA_TSTRING)
		return 0;
	/*
	 * Methods first (upvalue 1): every method call comes through here, and
	 * the method checks its object itself. Then the layout's fields.
	 */
	lua_pushvalue(L, 2);
	if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
		return 1;
	d = kscript_data_check(L, 1);
	f = kscript_data_field(d, lua_tostring(L, 2));
	if (!f)
		return 0;
	if (f->string)
		lua_pushlstring(L, (char *)kscript_data_ptr(d) + f->offset,
				f->length);
	else
		lua_pushinteger(L, (lua_Integer)kscript_bits_read(kscript_data_ptr(d), f));
	return 1;
}

static int kscript_data_newindex(lua_State *L)
{
	struct kscript_data *d = kscript_data_check(L, 1);
	const struct kscript_field *f;
	const char *s;
	size_t len;

	if (lua_type(L, 2) != LUA_TSTRING)
		return 0;
	f = kscript_data_field(d, lua_tostring(L, 2));
	if (!f)
		return 0;
	kscript_data_will_write(L, d->buf);
	if (f->string) {
		s = luaL_checklstring(L, 3, &len);
		memcpy(kscript_data_ptr(d) + f->offset, s, min(len, f->length));
	} else {
		kscript_bits_write(kscript_data_ptr(d), f, luaL_checkinteger(L, 3));
	}
	return 0;
}

static int kscript_data_len_mm(lua_State *L)
{
	lua_pushinteger(L, kscript_data_len(kscript_data_check(L, 1)));
	return 1;
}

/* data.new(size | string | byte table): a copy in the state's memory, or nil if empty. */
static int kscript_data_new(lua_State *L)
{
	struct kscript_data_owned *o;
	const char *s = NULL;
	size_t i, size = 0;

	switch (lua_type(L, 1)) {
	case LUA_TNUMBER:
		size = max_t(lua_Integer, 0, luaL_checkinteger(L, 1));
		break;
	case LUA_TSTRING:
		s = lua_tolstring(L, 1, &size);
		break;
	case LUA_TTABLE:
		size = lua_rawlen(L, 1);
		break;
	default:
		break;
	}
	if (!size) {
		lua_pushnil(L);
		return 1;
	}
	o = lua_newuserdata(L, struct_size(o, bytes, size));
	o->buf = (struct kscript_data_buf){ .ptr = o->bytes, .size = size };
	if (s) {
		memcpy(o->bytes, s, size);
	} else if (lua_istable(L, 1)) {
		for (i = 0; i < size; i++) {
			lua_rawgeti(L, 1, i + 1);
			o->bytes[i] = lua_tointeger(L, -1) & 0xff;
			lua_pop(L, 1);
		}
	} else {
		memset(o->bytes, 0, size);
	}
	kscript_data_push(L, &o->buf, 0, KSCRIPT_DATA_TO_END, -1);
	return 1;
}

static const luaL_Reg kscript_data_methods[] = {
	{ "layout", kscript_data_layout },
	{ "segment", kscript_data_segment },
	{ "getbyte", kscript_data_getbyte },
	{ "setbyte", kscript_data_setbyte },
	{ "getuint16", kscript_data_getuint16 },
	{ "setuint16", kscript_data_setuint16 },
	{ "getuint32", kscript_data_getuint32 },
	{ "setuint32", kscript_data_setuint32 },
	{ "getstring", kscript_data_getstring },
	{ NULL, NULL }
};

void kscript_data_open(lua_State *L, struct kscript_script *s)
{
	luaL_newmetatable(L, KSCRIPT_LAYOUT_MT);
	lua_pop(L, 1);

	lua_newtable(L);
	lua_createtable(L, 0, 1);
	lua_pushliteral(L, "k");
	lua_setfield(L, -2, "__mode");
	lua_setmetatable(L, -2);
	lua_setfield(L, LUA_REGISTRYINDEX, KSCRIPT_DATA_ANCHOR);

	luaL_newmetatable(L, KSCRIPT_DATA_MT);
	luaL_newlib(L, kscript_data_methods);
	lua_pushcclosure(L, kscript_data_index, 1);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, kscript_data_newindex);
	lua_setfield(L, -2, "__newindex");
	lua_pushcfunction(L, kscript_data_len_mm);
	lua_setfield(L, -2, "__len");
	lua_pushliteral(L, "data");
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 1);

	lua_createtable(L, 0, 2);
	lua_pushcfunction(L, kscript_data_new);
	lua_setfield(L, -2, "new");
	lua_pushcfunction(L, kscript_data_new_layout);
	lua_setfield(L, -2, "layout");
	lua_setglobal(L, "data");
}
