/* SPDX-License-Identifier: MIT */
/* Nothing from <float.h> is used in the kernel configuration (kconf.h). */
