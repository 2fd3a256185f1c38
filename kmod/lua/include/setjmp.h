/* SPDX-License-Identifier: MIT */
/* ldo.c uses kscript_setjmp/kscript_longjmp through LUAI_TRY/LUAI_THROW (kconf.h). */
