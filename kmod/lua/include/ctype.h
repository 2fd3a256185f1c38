/* SPDX-License-Identifier: MIT */
#include <linux/ctype.h>
