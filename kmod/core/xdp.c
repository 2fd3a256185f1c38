// SPDX-License-Identifier: MIT
/*
 * The "xdp" binding (stdlib/xdp.d.ts): the verdicts by name, and
 * redirect(ifindex), which records where this packet goes and returns
 * XDP_REDIRECT. And "xdplua" (stdlib/xdplua.d.ts): udp_reply, over IPv4
 * and IPv6.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <uapi/linux/bpf.h>
#include "kscript.h"

static int kscript_xdp_redirect(lua_State *L)
{
	lua_Integer ifindex = luaL_checkinteger(L, 1);

	luaL_argcheck(L, ifindex > 0 && ifindex <= INT_MAX, 1,
		      "ifindex must be positive");
	kscript_state_of(L)->redirect = ifindex;
	lua_pushinteger(L, XDP_REDIRECT);
	return 1;
}

#define KSCRIPT_ACTION(name, action) { name, action },
static const struct {
	const char *name;
	int action;
} kscript_xdp_actions[] = { KSCRIPT_XDP_ACTIONS(KSCRIPT_ACTION) };
#undef KSCRIPT_ACTION

void kscript_xdp_open(lua_State *L, struct kscript_script *s)
{
	size_t i;

	/* The dialect's numbers are the kernel's. */
	BUILD_BUG_ON(KSCRIPT_XDP_ABORTED != XDP_ABORTED);
	BUILD_BUG_ON(KSCRIPT_XDP_DROP != XDP_DROP);
	BUILD_BUG_ON(KSCRIPT_XDP_PASS != XDP_PASS);
	BUILD_BUG_ON(KSCRIPT_XDP_TX != XDP_TX);
	BUILD_BUG_ON(KSCRIPT_XDP_REDIRECT != XDP_REDIRECT);

	lua_createtable(L, 0, 2);
	lua_createtable(L, 0, ARRAY_SIZE(kscript_xdp_actions));
	for (i = 0; i < ARRAY_SIZE(kscript_xdp_actions); i++) {
		lua_pushinteger(L, kscript_xdp_actions[i].action);
		lua_setfield(L, -2, kscript_xdp_actions[i].name);
	}
	lua_setfield(L, -2, "action");
	lua_pushcfunction(L, kscript_xdp_redirect);
	lua_setfield(L, -2, "redirect");
	lua_setglobal(L, "xdp");
}

/* The Internet checksum (RFC 1071) of the bytes, added to sum. */
static u32 kscript_csum_add(u32 sum, const u8 *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += p[n - 1] << 8;
	return sum;
}

static u16 kscript_csum_fold(u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static void kscript_swap(u8 *b, size_t x, size_t y, size_t n)
{
	u8 tmp[16];	/* an IPv6 address, the largest field swapped */

	memcpy(tmp, b + x, n);
	memmove(b + x, b + y, n);
	memcpy(b + y, tmp, n);
}

static void kscript_put16(u8 *p, u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/*
 * udp_reply(pkt, payload): the Ethernet/IPv4/UDP or Ethernet/IPv6/UDP packet
 * becomes its reply, in place as XDPLua's helper does for IPv4: MACs,
 * addresses and ports swapped, the payload replaced (the packet resized),
 * lengths and checksums rewritten (over IPv6 the UDP checksum is mandatory,
 * RFC 8200 §8.1). The resized packet lives in the lent buffer's spare bytes
 * until the call ends. Returns XDP_TX.
 */
static int kscript_udp_reply(lua_State *L)
{
	struct kscript_state *st = kscript_state_of(L);
	struct kscript_data_buf *pkt, *pl;
	size_t off, len, plen, ihl, l4, addr, alen, total;
	const u8 *payload;
	bool whole;
	u32 sum;
	u8 *b;

	pkt = kscript_data_test(L, 1, &off, &len, &whole);
	if (!pkt)
		return luaL_argerror(L, 1, "data expected");
	if (pkt != &st->input[0] || !whole)
		return luaL_argerror(L, 1, "the packet itself, not a segment");
	pl = kscript_data_test(L, 2, &off, &plen, &whole);
	if (pl)
		payload = pl->ptr + off;
	else
		payload = (const u8 *)luaL_checklstring(L, 2, &plen);
	b = pkt->ptr;
	if (len >= ETH_HLEN + 20 + 8 && (b[12] << 8 | b[13]) == ETH_P_IP &&
	    b[ETH_HLEN] >> 4 == 4) {
		ihl = (b[ETH_HLEN] & 0x0f) * 4;
		if (ihl < 20 || b[ETH_HLEN + 9] != IPPROTO_UDP)
			return luaL_error(L, "udp_reply: not a UDP packet");
		addr = ETH_HLEN + 12;
		alen = 4;
	} else if (len >= ETH_HLEN + 40 + 8 &&
		   (b[12] << 8 | b[13]) == ETH_P_IPV6 && b[ETH_HLEN] >> 4 == 6) {
		/* UDP right after the fixed header: no extension headers. */
		if (b[ETH_HLEN + 6] != IPPROTO_UDP)
			return luaL_error(L, "udp_reply: not a UDP packet");
		ihl = 0;	/* the IPv6 payload length counts no header */
		addr = ETH_HLEN + 8;
		alen = 16;
	} else {
		return luaL_error(L, "udp_reply: not an Ethernet/IPv4 or IPv6 packet");
	}
	l4 = alen == 4 ? ETH_HLEN + ihl : ETH_HLEN + 40;
	if (len < l4 + 8)
		return luaL_error(L, "udp_reply: not a UDP packet");
	if (plen > 0xffff - ihl - 8)
		return luaL_error(L, "udp_reply: payload too large");
	total = l4 + 8 + plen;
	if (total > len) {
		/* The payload may lie in the old bytes: copy before freeing them. */
		u8 *nb = kvmalloc(total, klua_ctx(L)->gfp | __GFP_NOWARN);

		if (!nb)
			return luaL_error(L, "not enough memory");
		memcpy(nb, b, l4 + 8);
		memcpy(nb + l4 + 8, payload, plen);
		kvfree(pkt->spare);
		pkt->spare = nb;
		pkt->ptr = b = nb;
	} else {
		kscript_data_will_write(L, pkt);
		memmove(b + l4 + 8, payload, plen);	/* may overlap the packet */
	}
	pkt->size = total;

	kscript_swap(b, 0, ETH_ALEN, ETH_ALEN);
	kscript_swap(b, addr, addr + alen, alen);
	kscript_swap(b, l4, l4 + 2, 2);
	if (alen == 4) {
		kscript_put16(b + ETH_HLEN + 2, ihl + 8 + plen);	/* total length */
		kscript_put16(b + ETH_HLEN + 10, 0);
		kscript_put16(b + ETH_HLEN + 10,
			      kscript_csum_fold(kscript_csum_add(0, b + ETH_HLEN, ihl)));
	} else {
		kscript_put16(b + ETH_HLEN + 4, 8 + plen);	/* payload length */
	}
	kscript_put16(b + l4 + 4, 8 + plen);
	kscript_put16(b + l4 + 6, 0);
	/* Pseudo header: addresses, protocol, UDP length; then the datagram. */
	sum = kscript_csum_add(0, b + addr, 2 * alen);
	sum += IPPROTO_UDP + 8 + plen;
	sum = kscript_csum_fold(kscript_csum_add(sum, b + l4, 8 + plen));
	kscript_put16(b + l4 + 6, sum ?: 0xffff);
	lua_pushinteger(L, XDP_TX);
	return 1;
}

void kscript_xdplua_open(lua_State *L, struct kscript_script *s)
{
	lua_createtable(L, 0, 1);
	lua_pushcfunction(L, kscript_udp_reply);
	lua_setfield(L, -2, "udp_reply");
	lua_setglobal(L, "xdplua");
}
