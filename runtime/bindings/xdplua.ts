/**
 * `xdplua`: XDPLua's packet helpers. `udp_reply(pkt, payload)` turns the Ethernet/IPv4/UDP or
 * Ethernet/IPv6/UDP packet in `pkt` into its reply in place, as XDPLua's C helper does for IPv4: swaps MAC
 * addresses, IP addresses and UDP ports, replaces the UDP payload with `payload` (a string or a data object),
 * resizing the packet, and rewrites the IPv4 total length and header checksum (IPv6: the payload length), the
 * UDP length and the UDP checksum. Returns `xdp.action.tx`.
 */
import { lauxlib, lua, to_luastring } from "../fengari64.js";
import { ETH_IPV4, ETH_IPV6, IPPROTO_UDP, inetChecksum, concat } from "../packets.js";
import { toDataRef } from "./data.js";
import { XDP_ACTIONS } from "../../common/dialect.js";
import type { BindingContext } from "./context.js";

/* eslint-disable @typescript-eslint/no-explicit-any -- Fengari states are untyped. */

function swap(b: Uint8Array, a: number, c: number, n: number): void {
  const tmp = b.slice(a, a + n);
  b.copyWithin(a, c, c + n);
  b.set(tmp, c);
}

function udpReply(L: any): number {
  const pkt = toDataRef(L, 1) ?? lauxlib.luaL_argerror(L, 1, to_luastring("data expected"));
  const payloadRef = toDataRef(L, 2);
  const payload = payloadRef ? payloadRef.view().slice() : Uint8Array.from(lauxlib.luaL_checklstring(L, 2) as Uint8Array);
  if (pkt.offset !== 0 || pkt.length !== pkt.buf.bytes.length) lauxlib.luaL_argerror(L, 1, to_luastring("the packet itself, not a segment"));
  const b = pkt.buf.bytes;
  const type = b.length >= 14 ? (b[12] << 8) | b[13] : 0;
  let ihl: number; // IPv4 header bytes; 0 for IPv6, whose payload length counts no header
  let addr: number;
  let alen: number;
  if (b.length >= 14 + 20 + 8 && type === ETH_IPV4 && b[14] >> 4 === 4) {
    ihl = (b[14] & 0x0f) * 4;
    if (ihl < 20 || b[14 + 9] !== IPPROTO_UDP) return lauxlib.luaL_error(L, to_luastring("udp_reply: not a UDP packet"));
    [addr, alen] = [14 + 12, 4];
  } else if (b.length >= 14 + 40 + 8 && type === ETH_IPV6 && b[14] >> 4 === 6) {
    // UDP right after the fixed header: no extension headers.
    if (b[14 + 6] !== IPPROTO_UDP) return lauxlib.luaL_error(L, to_luastring("udp_reply: not a UDP packet"));
    [ihl, addr, alen] = [0, 14 + 8, 16];
  } else {
    return lauxlib.luaL_error(L, to_luastring("udp_reply: not an Ethernet/IPv4 or IPv6 packet"));
  }
  const l4 = alen === 4 ? 14 + ihl : 14 + 40;
  if (b.length < l4 + 8) return lauxlib.luaL_error(L, to_luastring("udp_reply: not a UDP packet"));
  if (payload.length > 0xffff - ihl - 8) return lauxlib.luaL_error(L, to_luastring("udp_reply: payload too large"));
  const out = concat(b.subarray(0, l4 + 8), payload);
  swap(out, 0, 6, 6);
  swap(out, addr, addr + alen, alen);
  swap(out, l4, l4 + 2, 2);
  const udpLength = 8 + payload.length;
  if (alen === 4) {
    const total = ihl + udpLength;
    out[14 + 2] = total >> 8;
    out[14 + 3] = total & 0xff;
    out[14 + 10] = out[14 + 11] = 0;
    const ipsum = inetChecksum(out.subarray(14, l4));
    out[14 + 10] = ipsum >> 8;
    out[14 + 11] = ipsum & 0xff;
  } else {
    out[14 + 4] = udpLength >> 8;
    out[14 + 5] = udpLength & 0xff;
  }
  out[l4 + 4] = udpLength >> 8;
  out[l4 + 5] = udpLength & 0xff;
  out[l4 + 6] = out[l4 + 7] = 0;
  // Pseudo header: addresses, protocol, UDP length; mandatory over IPv6 (RFC 8200 §8.1), so never 0.
  const pseudo = concat(out.subarray(addr, addr + 2 * alen), Uint8Array.of(0, IPPROTO_UDP, udpLength >> 8, udpLength & 0xff));
  const sum = inetChecksum(pseudo, out.subarray(l4)) || 0xffff;
  out[l4 + 6] = sum >> 8;
  out[l4 + 7] = sum & 0xff;
  pkt.buf.bytes = out;
  lua.lua_pushinteger(L, XDP_ACTIONS.tx);
  return 1;
}

export function install(L: any, _ctx: BindingContext): void {
  lua.lua_createtable(L, 0, 1);
  lua.lua_pushcfunction(L, udpReply);
  lua.lua_setfield(L, -2, to_luastring("udp_reply"));
}
