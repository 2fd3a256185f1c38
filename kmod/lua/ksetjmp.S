/* SPDX-License-Identifier: MIT */
/*
 * setjmp/longjmp for Lua's error handling (LUAI_TRY/LUAI_THROW in kconf.h).
 * x86-64 SysV: only callee-saved registers, the stack pointer and the return
 * address need keeping. longjmp returns through the saved address with a
 * push + RET instead of an indirect jump, so no retpoline is needed.
 */
#include <linux/linkage.h>
#include <linux/objtool.h>

/* env: rbx, rbp, r12, r13, r14, r15, rsp (after return), rip */
SYM_FUNC_START(kscript_setjmp)
	movq	%rbx, 0(%rdi)
	movq	%rbp, 8(%rdi)
	movq	%r12, 16(%rdi)
	movq	%r13, 24(%rdi)
	movq	%r14, 32(%rdi)
	movq	%r15, 40(%rdi)
	leaq	8(%rsp), %rdx
	movq	%rdx, 48(%rdi)
	movq	(%rsp), %rdx
	movq	%rdx, 56(%rdi)
	xorl	%eax, %eax
	RET
SYM_FUNC_END(kscript_setjmp)

SYM_FUNC_START(kscript_longjmp)
	movl	%esi, %eax
	testl	%eax, %eax
	jnz	1f
	incl	%eax
1:	movq	0(%rdi), %rbx
	movq	8(%rdi), %rbp
	movq	16(%rdi), %r12
	movq	24(%rdi), %r13
	movq	32(%rdi), %r14
	movq	40(%rdi), %r15
	movq	48(%rdi), %rsp
	pushq	56(%rdi)
	RET
SYM_FUNC_END(kscript_longjmp)
STACK_FRAME_NON_STANDARD kscript_longjmp
