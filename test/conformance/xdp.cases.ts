/** `xdp`: actions, the packet the kernel sends on, redirect and the optional argument. */
import { udpPacket, tcpPacket } from "../../runtime/packets.js";
import { hex, type ConformanceCase } from "./backend.js";

const query = udpPacket({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 5353, dstPort: 53, payload: new TextEncoder().encode("q") });
const discard = udpPacket({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 5353, dstPort: 9, payload: new Uint8Array(4) });
const web = tcpPacket({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 40000, dstPort: 80, payload: new Uint8Array(0) });
const hopped = udpPacket({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 5353, dstPort: 53, payload: new TextEncoder().encode("q"), ttl: 63 });

export const cases: ConformanceCase[] = [
  {
    name: "actions by name: drop UDP to the discard port, pass the rest",
    target: "xdp",
    script: `local ip = data.layout{proto = {72, 8}}
local udp = data.layout{dport = {16, 16}}
function callback(pkt)
  local l3 = pkt:segment(14):layout(ip)
  if l3.proto == 17 and pkt:segment(34):layout(udp).dport == 9 then return xdp.action.drop end
  return xdp.action.pass
end`,
    input: { calls: [{ packet: hex(discard) }, { packet: hex(query) }, { packet: hex(web) }] },
    expect: { calls: [{ action: 1, packet: hex(discard) }, { action: 2 }, { action: 2 }] },
  },
  {
    name: "the action numbers and XDPLua's names",
    target: "xdp",
    script: `function callback(pkt)
  local a = xdp.action
  assert(a.aborted == 0 and a.abort == 0 and a.drop == 1 and a.pass == 2 and a.tx == 3 and a.redirect == 4)
  return a.tx
end`,
    input: { calls: [{ packet: hex(query) }] },
    expect: { calls: [{ action: 3 }] },
  },
  {
    name: "a rewritten packet goes out as rewritten: TTL decremented, header checksum recomputed",
    target: "xdp",
    script: `function callback(pkt)
  local ip = pkt:segment(14, 20)
  ip:setbyte(8, ip:getbyte(8) - 1)
  ip:setuint16(10, 0)
  local sum = 0
  for i = 0, 18, 2 do sum = sum + ip:getuint16(i) end
  while sum > 0xffff do sum = (sum & 0xffff) + (sum >> 16) end
  ip:setuint16(10, ~sum & 0xffff)
  return xdp.action.tx
end`,
    input: { calls: [{ packet: hex(query) }] },
    expect: { calls: [{ action: 3, packet: hex(hopped) }] },
  },
  {
    name: "redirect records the interface and returns the redirect action",
    target: "xdp",
    script: `function callback(pkt) return xdp.redirect(3) end`,
    input: { calls: [{ packet: hex(query) }] },
    expect: { calls: [{ action: 4, redirect: 3 }] },
  },
  {
    name: "the optional argument is a data view too",
    target: "xdp",
    script: `function callback(pkt, arg)
  if arg == nil then return xdp.action.aborted end
  return arg:getbyte(0)
end`,
    input: { calls: [{ packet: hex(query), arg: "01" }, { packet: hex(query) }] },
    expect: { calls: [{ action: 1 }, { action: 0 }] },
  },
  {
    name: "a Lua error is reported with its line, and the packet passes",
    target: "xdp",
    script: `function callback(pkt)
  error("bad packet")
end`,
    input: { calls: [{ packet: hex(query) }] },
    expect: { calls: [{ error: ":2: bad packet", action: 2 }] },
  },
];
