/** The packet toolkit against ground truth: a published checksum and packets the Linux kernel wrote. */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import {
  dnsMessage,
  formatIp,
  inetChecksum,
  ipv4Packet,
  ipv6,
  parseDns,
  parsePacket,
  readPcap,
  tcpPacket,
  udpPacket,
} from "../../runtime/testing.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const text = (b: Uint8Array) => new TextDecoder().decode(b);

test("the IPv4 header checksum of the well-known example header is 0xb861", () => {
  const packet = ipv4Packet({ src: "192.168.0.1", dst: "192.168.0.199", protocol: 17, id: 0, payload: new Uint8Array(0x73 - 20) });
  expect(Buffer.from(packet.subarray(0, 20)).toString("hex")).toBe("45000073000040004011b861c0a80001c0a800c7");
  expect(inetChecksum(packet.subarray(0, 20))).toBe(0);
});

describe("parsers read what the kernel wrote (loopback capture)", () => {
  const packets = readPcap(path.join(here, "fixtures", "lo-mix.pcap")).packets.map((p) => parsePacket(p.data));

  test("UDP over IPv4 and IPv6", () => {
    const udp = packets.filter((p) => p.udp);
    expect(udp.map((p) => [p.ip!.version, p.ip!.src, p.ip!.dst, p.udp!.dstPort, text(p.udp!.payload)])).toEqual([
      [4, "127.0.0.1", "127.0.0.1", 5300, "datagram over udp4"],
      [6, "::1", "::1", 5300, "datagram over udp6"],
    ]);
  });

  test("TCP handshakes and data over IPv4 and IPv6", () => {
    const tcp = packets.filter((p) => p.tcp);
    expect(tcp).toHaveLength(16);
    const data = tcp.filter((p) => p.tcp!.payload.length > 0).map((p) => [p.ip!.version, text(p.tcp!.payload)]);
    expect(data).toEqual([
      [4, "hello over 127.0.0.1"],
      [6, "hello over ::1"],
    ]);
    // The SYN-ACK acknowledges SYN's sequence number + 1 (sequence numbers above 2^31 included).
    for (const v of [4, 6]) {
      const [syn, synAck] = tcp.filter((p) => p.ip!.version === v).slice(0, 2);
      expect(syn.tcp!.flags).toBe(0x02);
      expect(synAck.tcp!.flags).toBe(0x12);
      expect(synAck.tcp!.ack).toBe((syn.tcp!.seq + 1) % 2 ** 32);
    }
  });

  test("IPv4 header checksums verify; transport checksums hold the kernel's pseudo-header sum", () => {
    // On loopback the kernel leaves the transport checksum to "hardware": the field holds the folded sum of
    // the pseudo-header, which checks parseIp's pseudo-header byte for byte against the kernel's.
    for (const p of packets) {
      if (p.ip!.version === 4) expect(p.ip!.checksumOk).toBe(true);
      const seg = p.ip!.payload;
      const stored = p.udp ? (seg[6] << 8) | seg[7] : (seg[16] << 8) | seg[17];
      expect(stored).toBe(~inetChecksum(p.ip!.pseudo(seg.length)) & 0xffff);
    }
  });
});

describe("builders write what the parsers read", () => {
  test.each([
    ["IPv4", "10.0.0.1", "10.0.0.2"],
    ["IPv6", "2001:db8::1", "2001:db8::2:1"],
  ])("UDP and TCP over %s, checksums valid", (_, src, dst) => {
    const payload = new TextEncoder().encode("payload!");
    const u = parsePacket(udpPacket({ src, dst, srcPort: 1234, dstPort: 53, payload }));
    expect(u.ip).toMatchObject({ src, dst, protocol: 17, checksumOk: true });
    expect(u.udp).toMatchObject({ srcPort: 1234, dstPort: 53, payload, checksumOk: true });
    const t = parsePacket(tcpPacket({ src, dst, srcPort: 40000, dstPort: 80, seq: 0xfffffff0, ack: 7, flags: 0x18, payload }));
    expect(t.tcp).toMatchObject({ srcPort: 40000, dstPort: 80, seq: 0xfffffff0, ack: 7, flags: 0x18, payload, checksumOk: true });
  });

  test("IPv6 addresses print in their short form", () => {
    expect(formatIp(ipv6("::1"))).toBe("::1");
    expect(formatIp(ipv6("2001:db8:0:0:1:0:0:1"))).toBe("2001:db8::1:0:0:1");
    expect(formatIp(ipv6("fe80::"))).toBe("fe80::");
  });

  test("DNS messages", () => {
    const m = dnsMessage({ id: 9, questions: [{ name: "a.example", type: 28 }], answers: [{ name: "a.example", type: 28, ttl: 300, data: ipv6("2001:db8::1") }] });
    expect(parseDns(m)).toEqual({
      id: 9,
      flags: 0x8180,
      questions: [{ name: "a.example", type: 28, class: 1 }],
      answers: [{ name: "a.example", type: 28, class: 1, ttl: 300, data: ipv6("2001:db8::1") }],
    });
  });
});
