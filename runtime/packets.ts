/**
 * Packet builders and parsers for tests: Ethernet, IPv4, IPv6, UDP, TCP and DNS, with real checksums, so
 * a hook sees the bytes the kernel would hand it and a test can check the bytes it sends back.
 */

const enc = new TextEncoder();

export function bytes(s: string): Uint8Array {
  return enc.encode(s);
}

export function mac(text: string): Uint8Array {
  const parts = text.split(/[:-]/).map((h) => parseInt(h, 16));
  if (parts.length !== 6 || parts.some((p) => !(p >= 0 && p <= 255))) throw new Error(`bad MAC address '${text}'`);
  return Uint8Array.from(parts);
}

export function ipv4(text: string): Uint8Array {
  const parts = text.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`bad IPv4 address '${text}'`);
  return Uint8Array.from(parts);
}

export function ipv6(text: string): Uint8Array {
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  if (groups.length !== 8) throw new Error(`bad IPv6 address '${text}'`);
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

/** Dotted IPv4, or IPv6 in the RFC 5952 form (`::1`, `2001:db8::2:1`). */
export function formatIp(addr: Uint8Array): string {
  if (addr.length === 4) return Array.from(addr).join(".");
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((addr[i] << 8) | addr[i + 1]).toString(16));
  // The longest run of two or more zero groups (the first if tied) becomes "::".
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  if (best.at < 0) return groups.join(":");
  return `${groups.slice(0, best.at).join(":")}::${groups.slice(best.at + best.len).join(":")}`;
}

export function formatMac(addr: Uint8Array): string {
  return Array.from(addr, (b) => b.toString(16).padStart(2, "0")).join(":");
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const u16 = (v: number) => Uint8Array.of((v >> 8) & 0xff, v & 0xff);
const u32 = (v: number) => Uint8Array.of((v >>> 24) & 0xff, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
const get16 = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];
const get32 = (b: Uint8Array, o: number) => (b[o] * 2 ** 24 + (get16(b, o + 1) << 8)) + b[o + 3];

/** The Internet checksum (RFC 1071) of the concatenation of `parts`. */
export function inetChecksum(...parts: Uint8Array[]): number {
  let sum = 0;
  let odd: number | undefined;
  for (const p of parts) {
    for (const b of p) {
      if (odd === undefined) odd = b;
      else {
        sum += (odd << 8) | b;
        odd = undefined;
      }
    }
  }
  if (odd !== undefined) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function pseudoHeader(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): Uint8Array {
  return src.length === 4
    ? concat(src, dst, Uint8Array.of(0, protocol), u16(length))
    : concat(src, dst, u32(length), Uint8Array.of(0, 0, 0, protocol));
}

export const ETH_IPV4 = 0x0800;
export const ETH_IPV6 = 0x86dd;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

export interface EthernetFrame {
  dst: string;
  src: string;
  type: number;
  payload: Uint8Array;
}

export function ethernet(f: EthernetFrame): Uint8Array {
  return concat(mac(f.dst), mac(f.src), u16(f.type), f.payload);
}

export function parseEthernet(b: Uint8Array): EthernetFrame {
  if (b.length < 14) throw new Error(`frame of ${b.length} bytes is shorter than an Ethernet header`);
  return { dst: formatMac(b.subarray(0, 6)), src: formatMac(b.subarray(6, 12)), type: get16(b, 12), payload: b.subarray(14) };
}

export interface IpHeader {
  src: string;
  dst: string;
  protocol: number;
  ttl?: number;
  id?: number;
  payload: Uint8Array;
}

/** An IPv4 packet (no options) with a correct header checksum. */
export function ipv4Packet(p: IpHeader): Uint8Array {
  const header = concat(
    Uint8Array.of(0x45, 0),
    u16(20 + p.payload.length),
    u16(p.id ?? 0),
    Uint8Array.of(0x40, 0, p.ttl ?? 64, p.protocol),
    u16(0),
    ipv4(p.src),
    ipv4(p.dst),
  );
  header.set(u16(inetChecksum(header)), 10);
  return concat(header, p.payload);
}

export interface ParsedIp extends IpHeader {
  version: 4 | 6;
  /** IPv4 header checksum verifies (always true for IPv6, which has none). */
  checksumOk: boolean;
  pseudo: (length: number) => Uint8Array;
}

export function parseIp(b: Uint8Array): ParsedIp {
  const version = b[0] >> 4;
  if (version === 4) {
    const ihl = (b[0] & 0x0f) * 4;
    const total = get16(b, 2);
    const src = b.subarray(12, 16);
    const dst = b.subarray(16, 20);
    return {
      version: 4,
      src: formatIp(src),
      dst: formatIp(dst),
      protocol: b[9],
      ttl: b[8],
      id: get16(b, 4),
      payload: b.subarray(ihl, total),
      checksumOk: inetChecksum(b.subarray(0, ihl)) === 0,
      pseudo: (length) => pseudoHeader(src, dst, b[9], length),
    };
  }
  if (version === 6) {
    const src = b.subarray(8, 24);
    const dst = b.subarray(24, 40);
    return {
      version: 6,
      src: formatIp(src),
      dst: formatIp(dst),
      protocol: b[6],
      ttl: b[7],
      payload: b.subarray(40, 40 + get16(b, 4)),
      checksumOk: true,
      pseudo: (length) => pseudoHeader(src, dst, b[6], length),
    };
  }
  throw new Error(`not an IP packet (version ${version})`);
}

export function ipv6Packet(p: IpHeader): Uint8Array {
  return concat(u32(0x60000000), u16(p.payload.length), Uint8Array.of(p.protocol, p.ttl ?? 64), ipv6(p.src), ipv6(p.dst), p.payload);
}

const addr = (text: string) => (text.includes(":") ? ipv6(text) : ipv4(text));

export interface PortsAndPayload {
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

/** A UDP datagram with its checksum over the pseudo-header of `src` → `dst`. */
export function udpDatagram(src: string, dst: string, d: PortsAndPayload): Uint8Array {
  const length = 8 + d.payload.length;
  const seg = concat(u16(d.srcPort), u16(d.dstPort), u16(length), u16(0), d.payload);
  const sum = inetChecksum(pseudoHeader(addr(src), addr(dst), IPPROTO_UDP, length), seg);
  seg.set(u16(sum === 0 ? 0xffff : sum), 6);
  return seg;
}

export interface TcpSegment extends PortsAndPayload {
  seq?: number;
  ack?: number;
  /** Flag bits: FIN 1, SYN 2, RST 4, PSH 8, ACK 16. */
  flags?: number;
  window?: number;
}

export function tcpSegment(src: string, dst: string, t: TcpSegment): Uint8Array {
  const seg = concat(
    u16(t.srcPort),
    u16(t.dstPort),
    u32(t.seq ?? 0),
    u32(t.ack ?? 0),
    Uint8Array.of(5 << 4, t.flags ?? 0x18),
    u16(t.window ?? 65535),
    u16(0),
    u16(0),
    t.payload,
  );
  seg.set(u16(inetChecksum(pseudoHeader(addr(src), addr(dst), IPPROTO_TCP, seg.length), seg)), 16);
  return seg;
}

export interface L4Parsed extends PortsAndPayload {
  /** Transport checksum verifies against the IP pseudo-header. */
  checksumOk: boolean;
}

export function parseUdp(ip: ParsedIp): L4Parsed {
  const b = ip.payload;
  const length = get16(b, 4);
  return {
    srcPort: get16(b, 0),
    dstPort: get16(b, 2),
    payload: b.subarray(8, length),
    checksumOk: get16(b, 6) === 0 || inetChecksum(ip.pseudo(length), b.subarray(0, length)) === 0,
  };
}

export function parseTcp(ip: ParsedIp): L4Parsed & { seq: number; ack: number; flags: number } {
  const b = ip.payload;
  return {
    srcPort: get16(b, 0),
    dstPort: get16(b, 2),
    seq: get32(b, 4),
    ack: get32(b, 8),
    flags: b[13],
    payload: b.subarray((b[12] >> 4) * 4),
    checksumOk: inetChecksum(ip.pseudo(b.length), b) === 0,
  };
}

export interface UdpPacketSpec extends PortsAndPayload {
  srcMac?: string;
  dstMac?: string;
  src: string;
  dst: string;
  ttl?: number;
}

/** Ethernet + IPv4/IPv6 (by the address form) + UDP, all checksums correct. */
export function udpPacket(p: UdpPacketSpec): Uint8Array {
  const v6 = p.src.includes(":");
  const ip = { src: p.src, dst: p.dst, protocol: IPPROTO_UDP, ttl: p.ttl, payload: udpDatagram(p.src, p.dst, p) };
  return ethernet({
    dst: p.dstMac ?? "02:00:00:00:00:02",
    src: p.srcMac ?? "02:00:00:00:00:01",
    type: v6 ? ETH_IPV6 : ETH_IPV4,
    payload: v6 ? ipv6Packet(ip) : ipv4Packet(ip),
  });
}

export interface TcpPacketSpec extends TcpSegment {
  srcMac?: string;
  dstMac?: string;
  src: string;
  dst: string;
}

export function tcpPacket(p: TcpPacketSpec): Uint8Array {
  const v6 = p.src.includes(":");
  const ip = { src: p.src, dst: p.dst, protocol: IPPROTO_TCP, payload: tcpSegment(p.src, p.dst, p) };
  return ethernet({
    dst: p.dstMac ?? "02:00:00:00:00:02",
    src: p.srcMac ?? "02:00:00:00:00:01",
    type: v6 ? ETH_IPV6 : ETH_IPV4,
    payload: v6 ? ipv6Packet(ip) : ipv4Packet(ip),
  });
}

export interface ParsedPacket {
  eth: EthernetFrame;
  ip?: ParsedIp;
  udp?: L4Parsed;
  tcp?: ReturnType<typeof parseTcp>;
}

/** Decodes a frame as far as it goes: Ethernet, then IP, then UDP or TCP. */
export function parsePacket(frame: Uint8Array): ParsedPacket {
  const eth = parseEthernet(frame);
  if (eth.type !== ETH_IPV4 && eth.type !== ETH_IPV6) return { eth };
  const ip = parseIp(eth.payload);
  if (ip.protocol === IPPROTO_UDP) return { eth, ip, udp: parseUdp(ip) };
  if (ip.protocol === IPPROTO_TCP) return { eth, ip, tcp: parseTcp(ip) };
  return { eth, ip };
}

export const DNS_TYPE = { A: 1, NS: 2, CNAME: 5, MX: 15, TXT: 16, AAAA: 28 } as const;
/** Bits of the DNS header's flags word (RFC 1035 §4.1.1). */
export const DNS_FLAG = { QR: 0x8000, AA: 0x0400, TC: 0x0200, RD: 0x0100, RA: 0x0080 } as const;

export interface DnsQuestion {
  name: string;
  type: number;
  class?: number;
}

export interface DnsAnswer extends DnsQuestion {
  ttl: number;
  data: Uint8Array;
}

export interface DnsMessage {
  id: number;
  /** QR, opcode, AA, TC, RD, RA, rcode as the 16-bit flags word. */
  flags: number;
  questions: DnsQuestion[];
  answers: DnsAnswer[];
}

function encodeName(name: string): Uint8Array {
  const labels = name.split(".").filter((l) => l.length > 0);
  return concat(...labels.map((l) => concat(Uint8Array.of(l.length), bytes(l))), Uint8Array.of(0));
}

export function dnsMessage(m: Partial<DnsMessage> & { questions: DnsQuestion[] }): Uint8Array {
  const answers = m.answers ?? [];
  return concat(
    u16(m.id ?? 0),
    u16(m.flags ?? (answers.length > 0 ? 0x8180 : 0x0100)),
    u16(m.questions.length),
    u16(answers.length),
    u16(0),
    u16(0),
    ...m.questions.map((q) => concat(encodeName(q.name), u16(q.type), u16(q.class ?? 1))),
    ...answers.map((a) => concat(encodeName(a.name), u16(a.type), u16(a.class ?? 1), u32(a.ttl), u16(a.data.length), a.data)),
  );
}

function decodeName(b: Uint8Array, start: number): { name: string; next: number } {
  const labels: string[] = [];
  let o = start;
  let next = -1;
  for (let hops = 0; hops < 64; hops++) {
    const len = b[o];
    if (len === undefined) throw new Error("DNS name runs past the message");
    if ((len & 0xc0) === 0xc0) {
      if (next < 0) next = o + 2;
      o = get16(b, o) & 0x3fff;
      continue;
    }
    if (len === 0) return { name: labels.join("."), next: next < 0 ? o + 1 : next };
    labels.push(new TextDecoder().decode(b.subarray(o + 1, o + 1 + len)));
    o += 1 + len;
  }
  throw new Error("DNS name compression loop");
}

export function parseDns(b: Uint8Array): DnsMessage {
  const qd = get16(b, 4);
  const an = get16(b, 6);
  let o = 12;
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < qd; i++) {
    const { name, next } = decodeName(b, o);
    questions.push({ name, type: get16(b, next), class: get16(b, next + 2) });
    o = next + 4;
  }
  const answers: DnsAnswer[] = [];
  for (let i = 0; i < an; i++) {
    const { name, next } = decodeName(b, o);
    const rdlength = get16(b, next + 8);
    answers.push({ name, type: get16(b, next), class: get16(b, next + 2), ttl: get32(b, next + 4), data: b.slice(next + 10, next + 10 + rdlength) });
    o = next + 10 + rdlength;
  }
  return { id: get16(b, 0), flags: get16(b, 2), questions, answers };
}
