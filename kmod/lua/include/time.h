/* SPDX-License-Identifier: MIT */
/* Nothing from <time.h> is used in the kernel configuration (kconf.h). */
