/* SPDX-License-Identifier: MIT */
#ifndef KSCRIPT_SHIM_STRING_H
#define KSCRIPT_SHIM_STRING_H
#include <linux/string.h>
/* The kernel has no locales: collation is byte order. */
#define strcoll(a, b)	strcmp(a, b)
#define strerror(e)	((void)(e), "I/O error")
#endif
