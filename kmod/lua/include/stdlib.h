/* SPDX-License-Identifier: MIT */
#ifndef KSCRIPT_SHIM_STDLIB_H
#define KSCRIPT_SHIM_STDLIB_H
#include <linux/bug.h>
#include <linux/slab.h>
/* Only luaL_newstate's allocator uses these; kscript passes its own. */
#define realloc(p, n)	krealloc(p, n, GFP_KERNEL | __GFP_NOWARN)
#define free(p)		kfree(p)
/* Reached only by an error outside any protected call, which kscript never makes. */
#define abort()		BUG()
#endif
