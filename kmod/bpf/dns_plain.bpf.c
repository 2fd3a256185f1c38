// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * The benchmark's reference (bench/xdp.ts): a plain eBPF DNS responder for
 * the zone of templates/xdp-dns (example.test.zone), answering as its hook
 * does — same header flags, question copied as sent, compressed owners, TTL,
 * IPv4 and UDP checksums — so the two replies compare byte for byte. Zone
 * compiled in; no cache, no learning: only the hook's answering path.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define NAME_MAX	32	/* the longest wire name in the zone, with room */
#define ADDRS_MAX	2

struct zone_entry {
	__u8 name[NAME_MAX];	/* wire form, lower case, without the root label */
	__u32 len;
	__u16 type;
	__u16 ttl;
	__u32 count;
	__u8 rdata[ADDRS_MAX][16];
};

#define ZONE_SIZE 4
static const struct zone_entry zone[ZONE_SIZE] = {
	{ "\7example\4test", 13, 1, 300, 1, { { 192, 0, 2, 10 } } },
	{ "\3www\7example\4test", 17, 1, 300, 2,
	  { { 192, 0, 2, 11 }, { 192, 0, 2, 12 } } },
	{ "\7example\4test", 13, 28, 300, 1,
	  { { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x10 } } },
	{ "\2v6\7example\4test", 16, 28, 300, 2,
	  { { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, [15] = 6 },
	    { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, [15] = 7 } } },
};

#define L2	14
#define L3	(L2 + 20)	/* IPv4 without options only */
#define L4	(L3 + 8)
#define QNAME	(L4 + 12)

static __always_inline __u32 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static __always_inline void swap(__u8 *a, __u8 *b, int n)
{
	for (int i = 0; i < n; i++) {
		__u8 t = a[i];

		a[i] = b[i];
		b[i] = t;
	}
}

/* The zone entry whose wire name starts the question, or -1. */
static __always_inline int lookup(const __u8 *q, const void *end, __u16 *qtype)
{
	for (int e = 0; e < ZONE_SIZE; e++) {
		__u32 len = zone[e].len & (NAME_MAX - 1);
		__u32 i;

		for (i = 0; i < NAME_MAX; i++) {
			__u8 c;

			if (i >= len)
				break;
			if ((const void *)(q + i + 1) > end)
				return -1;
			c = q[i];
			if (c >= 'A' && c <= 'Z')
				c += 32;
			if (c != zone[e].name[i])
				break;
		}
		if (i != len)
			continue;
		if ((const void *)(q + len + 5) > end)
			return -1;
		if (q[len] != 0)
			continue;
		*qtype = q[len + 1] << 8 | q[len + 2];
		if (*qtype == zone[e].type && (q[len + 3] << 8 | q[len + 4]) == 1)
			return e;
	}
	return -1;
}

SEC("xdp")
int dns_plain(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	__u32 old_len = end - data, udp_len, qend, new_len, count, rdlen, sum;
	__u16 qtype, flags;
	int e, i, a;

	if (data + QNAME > end)
		return XDP_PASS;
	if ((p[12] << 8 | p[13]) != ETH_P_IP || p[L2] != 0x45 ||
	    p[L2 + 9] != IPPROTO_UDP || ((p[L2 + 6] << 8 | p[L2 + 7]) & 0x3fff))
		return XDP_PASS;
	udp_len = p[L3 + 4] << 8 | p[L3 + 5];
	if ((p[L3 + 2] << 8 | p[L3 + 3]) != 53 || udp_len < 8 + 12 ||
	    L3 + udp_len > old_len)
		return XDP_PASS;
	flags = p[L4 + 2] << 8 | p[L4 + 3];
	/* A standard query with one question and no answer or authority records. */
	if ((flags & 0xf800) || (p[L4 + 4] << 8 | p[L4 + 5]) != 1 ||
	    p[L4 + 6] || p[L4 + 7] || p[L4 + 8] || p[L4 + 9])
		return XDP_PASS;
	e = lookup(p + QNAME, end, &qtype);
	if (e < 0)
		return XDP_PASS;
	e &= ZONE_SIZE - 1;
	count = zone[e].count & 3;
	rdlen = qtype == 1 ? 4 : 16;
	qend = QNAME + (zone[e].len & (NAME_MAX - 1)) + 5;
	new_len = qend + count * (12 + rdlen);
	if (bpf_xdp_adjust_tail(ctx, (int)new_len - (int)old_len))
		return XDP_PASS;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	p = data;
	if (data + QNAME > end || new_len > 256)
		return XDP_PASS;

	/* Answers after the question: owner pointer to offset 12, type, IN, TTL, data. */
	for (a = 0; a < ADDRS_MAX; a++) {
		__u8 *r = p + ((qend + a * (12 + rdlen)) & 255);

		if (a >= count)
			break;
		if ((void *)(r + 12) > end)
			return XDP_PASS;
		r[0] = 0xc0;
		r[1] = 12;
		r[2] = 0;
		r[3] = qtype;
		r[4] = 0;
		r[5] = 1;
		r[6] = 0;
		r[7] = 0;
		r[8] = zone[e].ttl >> 8;
		r[9] = zone[e].ttl & 0xff;
		r[10] = 0;
		r[11] = rdlen;
		for (i = 0; i < 16 && i < rdlen; i++) {
			if ((void *)(r + 12 + i + 1) > end)
				return XDP_PASS;
			r[12 + i] = zone[e].rdata[a][i];
		}
	}
	/* Header: QR, RD as asked, AA; one question, count answers. */
	p[L4 + 2] = 0x84 | (flags >> 8 & 0x01);
	p[L4 + 3] = 0;
	p[L4 + 7] = count;
	p[L4 + 10] = 0;
	p[L4 + 11] = 0;

	swap(p, p + 6, 6);
	swap(p + L2 + 12, p + L2 + 16, 4);
	swap(p + L3, p + L3 + 2, 2);
	p[L2 + 2] = (new_len - L2) >> 8;
	p[L2 + 3] = (new_len - L2) & 0xff;
	p[L2 + 10] = 0;
	p[L2 + 11] = 0;
	sum = 0;
	for (i = 0; i < 20; i += 2)
		sum += p[L2 + i] << 8 | p[L2 + i + 1];
	sum = csum_fold(sum);
	p[L2 + 10] = sum >> 8;
	p[L2 + 11] = sum & 0xff;

	udp_len = new_len - L3;
	p[L3 + 4] = udp_len >> 8;
	p[L3 + 5] = udp_len & 0xff;
	p[L3 + 6] = 0;
	p[L3 + 7] = 0;
	/* Pseudo header (addresses, protocol, length), then the datagram. */
	sum = IPPROTO_UDP + udp_len;
	for (i = 0; i < 8; i += 2)
		sum += p[L2 + 12 + i] << 8 | p[L2 + 13 + i];
	for (i = L3; i < 256; i += 2) {
		__u32 w;

		if (i >= new_len || (void *)(p + i + 1) > end)
			break;
		w = p[i] << 8;
		if (i + 1 < new_len) {
			if ((void *)(p + i + 2) > end)
				break;
			w |= p[i + 1];
		}
		sum += w;
	}
	sum = csum_fold(sum);
	if (!sum)
		sum = 0xffff;
	p[L3 + 6] = sum >> 8;
	p[L3 + 7] = sum & 0xff;
	return XDP_TX;
}

char _license[] SEC("license") = "Dual MIT/GPL";
