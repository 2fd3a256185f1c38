/** `xdplua.udp_reply`: the reply's exact bytes, checksums included, for growing and shrinking payloads. */
import { udpPacket } from "../../runtime/packets.js";
import { hex, type ConformanceCase } from "./backend.js";

const text = (s: string) => new TextEncoder().encode(s);
const A = { mac: "02:00:00:00:00:0a", ip: "192.168.1.10", port: 40000 };
const B = { mac: "02:00:00:00:00:0b", ip: "192.168.1.53", port: 53 };
const request = (payload: string) =>
  udpPacket({ srcMac: A.mac, dstMac: B.mac, src: A.ip, dst: B.ip, srcPort: A.port, dstPort: B.port, payload: text(payload) });
const reply = (payload: string) =>
  udpPacket({ srcMac: B.mac, dstMac: A.mac, src: B.ip, dst: A.ip, srcPort: B.port, dstPort: A.port, payload: text(payload) });

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
    name: "a packet that is not UDP over IPv4 is an error",
    target: "xdp",
    script: `function callback(pkt) return xdplua.udp_reply(pkt, "x") end`,
    input: { calls: [{ packet: "ffffffffffff020000000001080600010800060400010200000000010a000001000000000000000a000002" }] },
    expect: { calls: [{ error: "udp_reply: not an Ethernet/IPv4 packet" }] },
  },
];
