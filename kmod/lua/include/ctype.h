/* SPDX-License-Identifier: MIT */
/*
 * Lua's character classes and case mappings as in the C locale, ASCII only:
 * the kernel's ctype is Latin-1 (isalpha(0xe9), toupper(0xea) == 0xca), and
 * the dialect is Lua 5.3 in the C locale (patterns, upper/lower, %q, tonumber).
 * Below 0x80 the kernel's table is the C locale's.
 */
#ifndef KSCRIPT_SHIM_CTYPE_H
#define KSCRIPT_SHIM_CTYPE_H
#include <linux/ctype.h>

static inline int kscript_ctype(int c, unsigned char mask)
{
	return (unsigned int)c < 0x80 && (_ctype[c] & mask);
}

static inline int kscript_tolower(int c)
{
	return kscript_ctype(c, _U) ? c - 'A' + 'a' : c;
}

static inline int kscript_toupper(int c)
{
	return kscript_ctype(c, _L) ? c - 'a' + 'A' : c;
}

#undef isalnum
#undef isalpha
#undef iscntrl
#undef isgraph
#undef islower
#undef isprint
#undef ispunct
#undef isspace
#undef isupper
#undef isxdigit
#undef tolower
#undef toupper
#define isalnum(c)	kscript_ctype(c, _U | _L | _D)
#define isalpha(c)	kscript_ctype(c, _U | _L)
#define iscntrl(c)	kscript_ctype(c, _C)
#define isgraph(c)	kscript_ctype(c, _P | _U | _L | _D)
#define islower(c)	kscript_ctype(c, _L)
#define isprint(c)	kscript_ctype(c, _P | _U | _L | _D | _SP)
#define ispunct(c)	kscript_ctype(c, _P)
#define isspace(c)	kscript_ctype(c, _S)
#define isupper(c)	kscript_ctype(c, _U)
#define isxdigit(c)	kscript_ctype(c, _D | _X)
#define tolower(c)	kscript_tolower(c)
#define toupper(c)	kscript_toupper(c)

#endif /* KSCRIPT_SHIM_CTYPE_H */
