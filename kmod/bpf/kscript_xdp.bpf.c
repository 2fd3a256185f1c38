// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * The XDP program of `kscript deploy --xdp IFACE` (iproute2 loads it: sec
 * "xdp"). kscript.ko's kfunc runs the script attached to the interface and
 * returns its verdict; what a module cannot do from there, the program does:
 * resize the packet and redirect it.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Bits 0-7: action; 8-31: size change (signed); 32-63: redirect ifindex. */
extern __s64 kscript_xdp_run(struct xdp_md *ctx) __ksym;
/* Copies the packet the script grew into the room made for it; 0 or -errno. */
extern int kscript_xdp_grow(struct xdp_md *ctx) __ksym;

SEC("xdp")
int kscript_xdp(struct xdp_md *ctx)
{
	__s64 verdict = kscript_xdp_run(ctx);
	int action = verdict & 0xff;
	int delta = (int)(__u32)verdict >> 8;

	if (delta) {
		if (bpf_xdp_adjust_tail(ctx, delta))
			return XDP_PASS;	/* no room: the stack gets it */
		if (delta > 0 && kscript_xdp_grow(ctx)) {
			bpf_xdp_adjust_tail(ctx, -delta);
			return XDP_PASS;
		}
	}
	if (action == XDP_REDIRECT)
		return bpf_redirect(verdict >> 32, 0);
	return action;
}

char _license[] SEC("license") = "Dual MIT/GPL";
