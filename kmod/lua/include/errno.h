/* SPDX-License-Identifier: MIT */
#include <linux/errno.h>
/* Only read by luaL_fileresult/execresult, which nothing registered calls. */
#define errno	0
