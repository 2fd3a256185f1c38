/* SPDX-License-Identifier: MIT */
/* Nothing from <signal.h> is used in the kernel configuration (kconf.h). */
