/* SPDX-License-Identifier: MIT */
#define assert(c)	((void)0)
