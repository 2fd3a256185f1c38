// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * The benchmark's floor (bench/xdp.ts): an XDP program that passes every
 * packet at once, the eBPF side of the empty-hook pair. What a Lua hook
 * returning pass costs beyond it is the call path's fixed cost.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int pass_plain(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] SEC("license") = "Dual MIT/GPL";
