/** `xdplua.udp_reply`: the reply's exact bytes, checksums included, for growing and shrinking payloads, over IPv4 and IPv6. */
import { udpPacket } from "../../runtime/packets.js";
import { hex, type ConformanceCase } from "./backend.js";

const text = (s: string) => new TextEncoder().encode(s);
const A = { mac: "02:00:00:00:00:0a", ip: "192.168.1.10", port: 40000 };
const B = { mac: "02:00:00:00:00:0b", ip: "192.168.1.53", port: 53 };
const request = (payload: string) =>
  udpPacket({ srcMac: A.mac, dstMac: B.mac, src: A.ip, dst: B.ip, srcPort: A.port, dstPort: B.port, payload: text(payload) });
const reply = (payload: string) =>
  udpPacket({ srcMac: B.mac, dstMac: A.mac, src: B.ip, dst: A.ip, srcPort: B.port, dstPort: A.port, payload: text(payload) });
const A6 = { ...A, ip: "2001:db8::a" };
const B6 = { ...B, ip: "2001:db8::35" };
const request6 = (payload: string) =>
  udpPacket({ srcMac: A6.mac, dstMac: B6.mac, src: A6.ip, dst: B6.ip, srcPort: A6.port, dstPort: B6.port, payload: text(payload) });
const reply6 = (payload: string) =>
  udpPacket({ srcMac: B6.mac, dstMac: A6.mac, src: B6.ip, dst: A6.ip, srcPort: B6.port, dstPort: A6.port, payload: text(payload) });

export const cases: ConformanceCase[] = [
  {
    name: "a longer reply: addresses and ports swapped, lengths and checksums rewritten",
    target: "xdp",
    script: `function callback(pkt) return xdplua.udp_reply(pkt, "a considerably longer answer") end`,
    input: { calls: [{ packet: hex(request("why?")) }] },
    expect: { calls: [{ action: 3, packet: hex(reply("a considerably longer answer")) }] },
  },
  {
    name: "a shorter reply, with the payload given as a segment of the request itself",
    target: "xdp",
    script: `function callback(pkt) return xdplua.udp_reply(pkt, pkt:segment(42, 2)) end`,
    input: { calls: [{ packet: hex(request("okay then")) }] },
    expect: { calls: [{ action: 3, packet: hex(reply("ok")) }] },
  },
  {
    name: "an empty reply",
    target: "xdp",
    script: `function callback(pkt) return xdplua.udp_reply(pkt, "") end`,
    input: { calls: [{ packet: hex(request("ping")) }] },
    expect: { calls: [{ action: 3, packet: hex(reply("")) }] },
  },
  {
    name: "IPv6: a longer and a shorter reply, payload length and the mandatory UDP checksum rewritten",
    target: "xdp",
    script: `function callback(pkt) if #pkt > 70 then return xdplua.udp_reply(pkt, "ok") end return xdplua.udp_reply(pkt, "a considerably longer answer") end`,
    input: { calls: [{ packet: hex(request6("why?")) }, { packet: hex(request6("a rather long question, this one")) }] },
    expect: { calls: [{ action: 3, packet: hex(reply6("a considerably longer answer")) }, { action: 3, packet: hex(reply6("ok")) }] },
  },
  {
    name: "a packet that is not UDP over IPv4 or IPv6 is an error",
    target: "xdp",
    script: `function callback(pkt) return xdplua.udp_reply(pkt, "x") end`,
    input: { calls: [{ packet: "ffffffffffff020000000001080600010800060400010200000000010a000001000000000000000a000002" }] },
    expect: { calls: [{ error: "udp_reply: not an Ethernet/IPv4 or IPv6 packet" }] },
  },
  {
    name: "IPv6 with another next header than UDP is an error",
    target: "xdp",
    script: `function callback(pkt) return xdplua.udp_reply(pkt, "x") end`,
    input: { calls: [{ packet: hex(request6("why?")).slice(0, 40) + "00" + hex(request6("why?")).slice(42) }] },
    expect: { calls: [{ error: "udp_reply: not a UDP packet" }] },
  },
];
