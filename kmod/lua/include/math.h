/* SPDX-License-Identifier: MIT */
/* Nothing from <math.h> is used in the kernel configuration (kconf.h). */
