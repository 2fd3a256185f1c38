/* SPDX-License-Identifier: MIT */
/*
 * lauxlib's file loader and luaL_fileresult are compiled but never reachable:
 * loadfile/dofile/io are not registered. These keep them building.
 */
#ifndef KSCRIPT_SHIM_STDIO_H
#define KSCRIPT_SHIM_STDIO_H
#include <linux/kernel.h>

typedef struct kscript_file FILE;
#define EOF		(-1)
#define BUFSIZ		512
#define stdin		((FILE *)NULL)
#define stderr		((FILE *)NULL)

static inline FILE *fopen(const char *name, const char *mode)
{
	return NULL;
}

static inline FILE *freopen(const char *name, const char *mode, FILE *f)
{
	return NULL;
}

static inline int fclose(FILE *f)
{
	return 0;
}

static inline int ferror(FILE *f)
{
	return 1;
}

static inline int feof(FILE *f)
{
	return 1;
}

static inline int getc(FILE *f)
{
	return EOF;
}

static inline size_t fread(void *buf, size_t size, size_t n, FILE *f)
{
	return 0;
}
#endif
