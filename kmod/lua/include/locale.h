/* SPDX-License-Identifier: MIT */
/* Nothing from <locale.h> is used in the kernel configuration (kconf.h). */
