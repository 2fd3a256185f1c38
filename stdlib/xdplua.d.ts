/**
 * XDPLua's packet helpers for `xdp` hooks. Compiles to the Lua global `xdplua`.
 * @module
 */
import type { Data } from "./data";

/**
 * Turns the Ethernet/IPv4/UDP or Ethernet/IPv6/UDP packet `pkt` into its reply, in place: swaps the MAC
 * addresses, the IP addresses and the UDP ports, replaces the UDP payload with `payload` (the packet grows or
 * shrinks to fit), and rewrites the IPv4 total length and header checksum (IPv6: the payload length), the UDP
 * length and the UDP checksum (never 0: over IPv6 it is mandatory). Returns `action.tx`, so
 * `return udp_reply(pkt, answer)` sends the reply. Raises a Lua error when `pkt` is not Ethernet/IPv4/UDP or
 * Ethernet/IPv6/UDP (UDP right after the IPv6 header, no extension headers).
 */
export declare function udp_reply(this: void, pkt: Data, payload: string | Data): 3;
