import { beforeEach, describe, expect, it } from "vitest";
import {
  DNS_TYPE,
  concat,
  dnsMessage,
  formatIp,
  inetChecksum,
  ipv4,
  ipv6,
  loadHook,
  parsePacket,
  tcpPacket,
  udpPacket,
  type DnsAnswer,
  type Hook,
} from "kscript/testing";
import { readWire } from "./wire";
import { key, value, zoneEntries } from "./zone";

const CLIENT = "10.0.0.1";
const SERVER = "10.0.0.53";
const UPSTREAM = "10.0.0.2";
/** rcu integer key of the upstream's address (README "The zone in rcu"). */
const UPSTREAM_KEY = 1;

const query = (name: string, type: number, id = 0x1234, flags = 0x0100) =>
  udpPacket({ src: CLIENT, dst: SERVER, srcPort: 40000, dstPort: 53, payload: dnsMessage({ id, flags, questions: [{ name, type }] }) });
const query6 = (name: string, type: number, id = 0x1234) =>
  udpPacket({ src: "2001:db8::1", dst: "2001:db8::53", srcPort: 40000, dstPort: 53, payload: dnsMessage({ id, flags: 0x0100, questions: [{ name, type }] }) });
const response = (name: string, type: number, answers: DnsAnswer[], options: { flags?: number; src?: string } = {}) =>
  udpPacket({
    src: options.src ?? UPSTREAM,
    dst: CLIENT,
    srcPort: 53,
    dstPort: 40000,
    payload: dnsMessage({ id: 9, flags: options.flags, questions: [{ name, type }], answers }),
  });
const a = (name: string, ttl: number, address: string): DnsAnswer => ({ name, type: DNS_TYPE.A, ttl, data: ipv4(address) });
/** A message whose bytes after the 12-byte header are `raw`, with the header counts given. */
const rawMessage = (counts: [qd: number, an: number], ...raw: number[]) => {
  const m = concat(dnsMessage({ id: 7, flags: counts[1] > 0 ? 0x8180 : 0x0100, questions: [] }), Uint8Array.from(raw));
  m[5] = counts[0];
  m[7] = counts[1];
  return m;
};
/** `packet` (a query from `query`) with an OPT record appended: payload size, version, flags word, option bytes. */
const withOpt = (packet: Uint8Array, size = 1232, version = 0, flags = 0, options: number[] = []) => {
  const opt = [0, 0, 41, size >> 8, size & 0xff, 0, version, flags >> 8, flags & 0xff, options.length >> 8, options.length & 0xff, ...options];
  const sent = parsePacket(packet);
  const payload = concat(sent.udp!.payload, Uint8Array.from(opt));
  payload[11] = 1;
  return udpPacket({ src: sent.ip!.src, dst: sent.ip!.dst, srcPort: sent.udp!.srcPort, dstPort: sent.udp!.dstPort, payload });
};
/** A copy of `frame` with its IPv4 header checksum recomputed. */
const resum = (frame: Uint8Array) => {
  const out = frame.slice();
  const ihl = (out[14] & 15) * 4;
  out.set([0, 0], 24);
  const sum = inetChecksum(out.subarray(14, 14 + ihl));
  out.set([sum >> 8, sum & 0xff], 24);
  return out;
};
const label = (text: string) => [text.length, ...Array.from(text, (c) => c.charCodeAt(0))];
const QUESTION_A = [...label("www"), ...label("example"), ...label("test"), 0, 0, 1, 0, 1];

describe("xdp-dns", async () => {
  // A tight budget: every verdict, hostile input included, must come well within it (pattern steps count too).
  const hook: Hook = await loadHook("src/dns.ts", { cpus: 2, limits: { instructions: 30000 } });
  /** The emulator's clock (time.seconds()); the kernel's cannot be set, so tests that set it run in the emulator only. */
  const clock = hook.engine?.clock;
  const at = (seconds: number) => clock!.set(BigInt(seconds) * 1_000_000_000n);

  /** Runs the hook on `packet` and checks it was answered; returns the reply as the strict reader (test/wire.ts) reads it. */
  const answered = (packet: Uint8Array, cpu = 0) => {
    const result = hook.runXdp(packet, { cpu });
    expect(result.actionName).toBe("tx");
    const sent = parsePacket(packet);
    const reply = parsePacket(result.packet);
    expect([reply.eth.dst, reply.eth.src, reply.ip!.src, reply.ip!.dst]).toEqual([sent.eth.src, sent.eth.dst, sent.ip!.dst, sent.ip!.src]);
    expect([reply.udp!.srcPort, reply.udp!.dstPort]).toEqual([sent.udp!.dstPort, sent.udp!.srcPort]);
    expect(reply.ip!.checksumOk && reply.udp!.checksumOk).toBe(true);
    const message = readWire(reply.udp!.payload);
    expect([message.authority, message.additional]).toEqual([[], []]);
    return message;
  };
  /** Runs the hook on `packet` and checks it went on to the network stack untouched. */
  const passed = (packet: Uint8Array, cpu = 0) => {
    const result = hook.runXdp(packet, { cpu });
    expect(result.actionName).toBe("pass");
    expect(result.packet).toEqual(packet);
  };

  beforeEach(() => {
    for (const name of ["www", "bad.example.test", "www.example.test", "cached.example.net", "alias.example.net"]) for (const type of [1, 28]) hook.rcu.set(key(name, type), undefined);
    hook.rcu.set(UPSTREAM_KEY, undefined);
    for (const [k, v] of zoneEntries()) hook.rcu.set(k, v);
  });

  describe("the zone", () => {
    it("answers A with every address, authoritative, with the query's ID, question and RD", () => {
      expect(answered(query("www.example.test", DNS_TYPE.A, 0xbeef))).toMatchObject({
        id: 0xbeef,
        flags: 0x8500,
        questions: [{ name: "www.example.test", type: 1, class: 1 }],
        answers: [a("www.example.test", 300, "192.0.2.11"), a("www.example.test", 300, "192.0.2.12")].map((r) => ({ ...r, class: 1 })),
      });
      expect(answered(query("www.example.test", DNS_TYPE.A, 1, 0)).flags).toBe(0x8400);
    });

    it("answers AAAA over IPv4", () => {
      const reply = answered(query("v6.example.test", DNS_TYPE.AAAA));
      expect(reply.answers.map((r) => [r.type, r.ttl, formatIp(r.data)])).toEqual([
        [28, 300, "2001:db8:0:1::6"],
        [28, 300, "2001:db8:0:1::7"],
      ]);
      expect(answered(query("example.test", DNS_TYPE.AAAA)).answers[0].data).toEqual(ipv6("2001:db8::10"));
    });

    it("answers queries whose IPv4 header carries options", () => {
      const plain = query("www.example.test", DNS_TYPE.A);
      const frame = concat(plain.subarray(0, 34), Uint8Array.of(1, 1, 1, 0), plain.subarray(34));
      frame[14] = 0x46;
      frame[17] += 4;
      frame.set([0, 0], 24);
      const sum = inetChecksum(frame.subarray(14, 38));
      frame.set([sum >> 8, sum & 0xff], 24);
      expect(answered(frame).answers).toHaveLength(2);
    });

    it("matches names in any case and keeps the question's case in the answer", () => {
      const reply = answered(query("WWW.Example.TEST", DNS_TYPE.A));
      expect(reply.questions[0].name).toBe("WWW.Example.TEST");
      expect(reply.answers).toHaveLength(2);
    });

    it("passes entries written wrong in rcu: short, counting more or fewer records than they hold, or none", () => {
      const good = value(DNS_TYPE.A, 300, [ipv4("192.0.2.1"), ipv4("192.0.2.2")]);
      hook.rcu.set(key("bad.example.test", DNS_TYPE.A), good);
      expect(answered(query("bad.example.test", DNS_TYPE.A)).answers).toHaveLength(2);
      for (const bad of ["soon", good.slice(0, 4), good.slice(0, -1), good + "x", "\x03" + good.slice(1), "\x00" + good.slice(1, 5), 300]) {
        hook.rcu.set(key("bad.example.test", DNS_TYPE.A), bad);
        passed(query("bad.example.test", DNS_TYPE.A));
      }
      // An A entry asked as AAAA (its records are the wrong size) passes too.
      hook.rcu.set(key("bad.example.test", DNS_TYPE.AAAA), good.slice(0, 5) + good.slice(5, 21));
      passed(query("bad.example.test", DNS_TYPE.AAAA));
    });

    it("passes names and types it does not hold, and non-IN classes", () => {
      passed(query("nope.example.test", DNS_TYPE.A));
      passed(query("example.test", DNS_TYPE.MX));
      passed(query("example.test", DNS_TYPE.TXT));
      passed(query("v6.example.test", DNS_TYPE.A));
      passed(udpPacket({ src: CLIENT, dst: SERVER, srcPort: 40000, dstPort: 53, payload: dnsMessage({ questions: [{ name: "example.test", type: 1, class: 3 }] }) }));
    });

    it("answers over IPv6, the UDP checksum set", () => {
      const reply = answered(query6("www.example.test", DNS_TYPE.A, 0xbeef));
      expect([reply.id, reply.flags, reply.answers.map((r) => formatIp(r.data))]).toEqual([0xbeef, 0x8500, ["192.0.2.11", "192.0.2.12"]]);
      expect(answered(withOpt(query6("v6.example.test", DNS_TYPE.AAAA))).answers.map((r) => formatIp(r.data))).toEqual(["2001:db8:0:1::6", "2001:db8:0:1::7"]);
    });

    it("passes TCP, other ports, other opcodes and QDCOUNT ≠ 1", () => {
      const payload = dnsMessage({ questions: [{ name: "example.test", type: DNS_TYPE.A }] });
      passed(tcpPacket({ src: CLIENT, dst: SERVER, srcPort: 40000, dstPort: 53, payload: concat(Uint8Array.of(0, payload.length), payload) }));
      passed(udpPacket({ src: CLIENT, dst: SERVER, srcPort: 40000, dstPort: 5353, payload }));
      passed(query("example.test", DNS_TYPE.A, 1, 0x2800));
      passed(udpPacket({ src: CLIENT, dst: SERVER, srcPort: 40000, dstPort: 53, payload: rawMessage([0, 0]) }));
      passed(udpPacket({ src: CLIENT, dst: SERVER, srcPort: 40000, dstPort: 53, payload: rawMessage([2, 0], ...QUESTION_A, ...QUESTION_A) }));
    });
  });

  describe("the cache", () => {
    const cached = (ttl: number) => response("cached.example.net", DNS_TYPE.A, [a("cached.example.net", ttl, "198.51.100.7"), a("cached.example.net", ttl + 300, "198.51.100.8")]);

    it.runIf(clock)("learns an upstream answer that passes through, serves it with its remaining TTL, and drops it when it expires", () => {
      at(1000);
      passed(cached(600));
      at(1100);
      const reply = answered(query("cached.example.net", DNS_TYPE.A, 5), 1);
      expect(reply.flags).toBe(0x8180);
      expect(reply.answers.map((r) => [r.ttl, formatIp(r.data)])).toEqual([
        [500, "198.51.100.7"],
        [500, "198.51.100.8"],
      ]);
      at(1599);
      expect(answered(query("cached.example.net", DNS_TYPE.A)).answers[0].ttl).toBe(1);
      at(1600);
      passed(query("cached.example.net", DNS_TYPE.A));
      expect(hook.rcu.get(key("cached.example.net", DNS_TYPE.A))).toBeUndefined();
    });

    it.runIf(clock)("learns AAAA answers", () => {
      at(1);
      passed(response("cached.example.net", DNS_TYPE.AAAA, [{ name: "cached.example.net", type: DNS_TYPE.AAAA, ttl: 60, data: ipv6("2001:db8:5::7") }]));
      expect(answered(query("cached.example.net", DNS_TYPE.AAAA)).answers.map((r) => [r.ttl, formatIp(r.data)])).toEqual([[60, "2001:db8:5::7"]]);
    });

    it("learns nothing from anyone but the upstream when one is set", () => {
      hook.rcu.set(UPSTREAM_KEY, UPSTREAM);
      passed(response("cached.example.net", DNS_TYPE.A, [a("cached.example.net", 60, "203.0.113.66")], { src: "10.0.0.66" }));
      passed(query("cached.example.net", DNS_TYPE.A));
      passed(cached(600));
      expect(answered(query("cached.example.net", DNS_TYPE.A)).answers).toHaveLength(2);
    });

    it("keeps the first 32 matching records of an answer of up to 40 records", () => {
      const addresses = Array.from({ length: 38 }, (_, i) => `ffff:ffff:ffff:ffff:ffff:ffff:ffff:${(0xff00 + i).toString(16)}`);
      const records = addresses.map((x) => ({ name: "cached.example.net", type: DNS_TYPE.AAAA, ttl: 60, data: ipv6(x) }));
      passed(response("cached.example.net", DNS_TYPE.AAAA, [a("other.example.net", 60, "192.0.2.1"), ...records, a("cached.example.net", 60, "192.0.2.2")]));
      // 32 AAAA records are over 512 bytes: only a client taking more over EDNS gets them from the hook.
      passed(query("cached.example.net", DNS_TYPE.AAAA));
      const reply = answered(withOpt(query("cached.example.net", DNS_TYPE.AAAA), 4096));
      expect(reply.answers.map((r) => formatIp(r.data))).toEqual(addresses.slice(0, 32).map((x) => formatIp(ipv6(x))));
      expect(String(hook.rcu.get(key("cached.example.net", DNS_TYPE.AAAA))).length).toBeLessThan(4096);
    });

    it("learns nothing from a response of more than 40 records, or with bytes after its counted ones", () => {
      passed(response("cached.example.net", DNS_TYPE.A, Array.from({ length: 41 }, (_, i) => a("cached.example.net", 60, `192.0.2.${i}`))));
      passed(query("cached.example.net", DNS_TYPE.A));
      const good = response("cached.example.net", DNS_TYPE.A, [a("cached.example.net", 60, "198.51.100.7")]);
      const sent = parsePacket(good);
      passed(udpPacket({ src: UPSTREAM, dst: CLIENT, srcPort: 53, dstPort: 40000, payload: concat(sent.udp!.payload, Uint8Array.of(0)) }));
      passed(query("cached.example.net", DNS_TYPE.A));
      // ARCOUNT claiming a record that is not there.
      const lying = sent.udp!.payload.slice();
      lying[11] = 1;
      passed(udpPacket({ src: UPSTREAM, dst: CLIENT, srcPort: 53, dstPort: 40000, payload: lying }));
      passed(query("cached.example.net", DNS_TYPE.A));
      passed(good);
      expect(answered(query("cached.example.net", DNS_TYPE.A)).answers).toHaveLength(1);
    });

    it("never overrides the zone", () => {
      passed(response("www.example.test", DNS_TYPE.A, [a("www.example.test", 60, "203.0.113.66")]));
      expect(answered(query("www.example.test", DNS_TYPE.A)).answers.map((r) => formatIp(r.data))).toEqual(["192.0.2.11", "192.0.2.12"]);
    });

    it("keeps only records of the question's own name and type, and nothing from failed, truncated or empty responses", () => {
      const cname = { name: "alias.example.net", type: DNS_TYPE.CNAME, ttl: 300, data: Uint8Array.of(...label("cached"), ...label("example"), ...label("net"), 0) };
      passed(response("alias.example.net", DNS_TYPE.A, [cname, a("cached.example.net", 300, "198.51.100.7")]));
      passed(query("alias.example.net", DNS_TYPE.A));
      passed(query("cached.example.net", DNS_TYPE.A));
      for (const flags of [0x8183, 0x8380]) passed(response("cached.example.net", DNS_TYPE.A, [a("cached.example.net", 60, "198.51.100.7")], { flags }));
      passed(response("cached.example.net", DNS_TYPE.A, []));
      passed(response("cached.example.net", DNS_TYPE.A, [a("cached.example.net", 0, "198.51.100.7")]));
      passed(query("cached.example.net", DNS_TYPE.A));
    });

    it.runIf(clock)("keeps a repeated record once, for the smallest TTL any of its copies has", () => {
      at(1);
      passed(response("cached.example.net", DNS_TYPE.A, [a("cached.example.net", 60, "198.51.100.7"), a("cached.example.net", 30, "198.51.100.7")]));
      expect(answered(query("cached.example.net", DNS_TYPE.A)).answers.map((r) => [r.ttl, formatIp(r.data)])).toEqual([[30, "198.51.100.7"]]);
    });

    it("learns nothing from a response holding a record it cannot read whole: malformed data, another class, a type it does not check", () => {
      const good = a("cached.example.net", 60, "198.51.100.7");
      for (const other of [
        { name: "other.example.net", type: DNS_TYPE.A, ttl: 60, data: Uint8Array.of(192, 0, 2, 1, 0) },
        { name: "other.example.net", type: DNS_TYPE.AAAA, ttl: 60, data: ipv4("192.0.2.1") },
        { name: "other.example.net", type: DNS_TYPE.CNAME, ttl: 60, data: Uint8Array.of(...label("cached"), 0, 0) },
        { name: "other.example.net", type: DNS_TYPE.A, class: 3, ttl: 60, data: ipv4("192.0.2.1") },
        { name: "cached.example.net", type: 46, ttl: 60, data: new Uint8Array(20) }, // RRSIG
        { name: "", type: 41, ttl: 0, data: new Uint8Array(0) }, // OPT, in the answer section
      ]) {
        passed(response("cached.example.net", DNS_TYPE.A, [good, other]));
        passed(query("cached.example.net", DNS_TYPE.A));
      }
      const cname = { name: "other.example.net", type: DNS_TYPE.CNAME, ttl: 60, data: Uint8Array.of(...label("cached"), 0xc0, 19) };
      passed(response("cached.example.net", DNS_TYPE.A, [good, cname]));
      expect(answered(query("cached.example.net", DNS_TYPE.A)).answers).toHaveLength(1);
    });

    it.runIf(clock)("keeps an answer at most a day, and a TTL with its top bit set counts as 0", () => {
      at(1);
      passed(cached(1_000_000));
      expect(answered(query("cached.example.net", DNS_TYPE.A)).answers[0].ttl).toBe(86400);
      hook.rcu.set(key("cached.example.net", DNS_TYPE.A), undefined);
      // The second record's TTL becomes 2^32-1: read as 0, so the smallest TTL is 0 and nothing is kept.
      const hostile = cached(60);
      hostile.set([0xff, 0xff, 0xff, 0xff], hostile.length - 10);
      passed(hostile);
      passed(query("cached.example.net", DNS_TYPE.A));
    });
  });

  describe("EDNS (RFC 6891): answered with an OPT record, or passed", () => {
    it("answers with one OPT record of version 0 advertising 1232 bytes, copying the DO bit", () => {
      for (const flags of [0, 0x8000]) {
        const reply = answered(withOpt(query("www.example.test", DNS_TYPE.A), 1232, 0, flags));
        expect(reply.answers).toHaveLength(2);
        expect(reply.opt).toEqual({ size: 1232, extendedRcode: 0, version: 0, do: flags !== 0, options: new Uint8Array(0) });
      }
      // Options (a cookie here) are ignored, as RFC 6891 allows; a size below 512 counts as 512.
      const cookie = [0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8];
      expect(answered(withOpt(query("www.example.test", DNS_TYPE.A), 100, 0, 0, cookie)).opt?.options).toEqual(new Uint8Array(0));
      const plain = answered(query("www.example.test", DNS_TYPE.A));
      expect(plain.opt).toBeUndefined();
    });

    it("passes options a server implementing them would answer with FORMERR: client subnets and cookies of the wrong form, extended errors", () => {
      const q = () => query("www.example.test", DNS_TYPE.A);
      const subnet = (family: number, source: number, scope: number, address: number[]) => [0, 8, 0, 4 + address.length, 0, family, source, scope, ...address];
      const cookie = (n: number) => [0, 10, 0, n, ...Array.from({ length: n }, (_, i) => i)];
      for (const good of [subnet(1, 24, 0, [192, 0, 2]), subnet(2, 56, 0, [0x20, 1, 0xd, 0xb8, 0, 0, 1]), subnet(1, 0, 0, []), cookie(8), cookie(16), cookie(40)]) {
        expect(answered(withOpt(q(), 1232, 0, 0, good)).answers).toHaveLength(2);
      }
      for (const bad of [subnet(3, 8, 0, [1]), subnet(1, 33, 0, [1, 2, 3, 4, 5]), subnet(1, 24, 0, [192, 0, 2, 0]), subnet(1, 24, 8, [192, 0, 2]), [0, 8, 0, 2, 0, 1],
        cookie(7), cookie(12), cookie(41), [0, 15, 0, 2, 0, 4]]) {
        passed(withOpt(q(), 1232, 0, 0, bad));
      }
    });

    it("passes versions other than 0, OPT records that are cut short, malformed, not the root's, or not alone", () => {
      const q = () => query("www.example.test", DNS_TYPE.A);
      passed(withOpt(q(), 1232, 1));
      passed(withOpt(q(), 1232, 0, 0, [0, 10, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8])); // option longer than the data
      passed(withOpt(q(), 1232, 0, 0, [0, 10, 0]));
      passed(withOpt(q(), 1232, 0, 0, Array.from({ length: 9 }, () => [0, 10, 0, 0]).flat())); // more than 8 options
      const full = withOpt(q());
      for (let cut = 1; cut <= 11; cut++) {
        const sent = parsePacket(full);
        passed(udpPacket({ src: CLIENT, dst: SERVER, srcPort: 40000, dstPort: 53, payload: sent.udp!.payload.subarray(0, sent.udp!.payload.length - cut) }));
      }
      const sent = parsePacket(full);
      const notRoot = concat(sent.udp!.payload.subarray(0, -11), Uint8Array.of(1, 97), sent.udp!.payload.subarray(-10));
      passed(udpPacket({ src: CLIENT, dst: SERVER, srcPort: 40000, dstPort: 53, payload: notRoot }));
      const twice = concat(sent.udp!.payload, sent.udp!.payload.subarray(-11));
      twice[11] = 2;
      passed(udpPacket({ src: CLIENT, dst: SERVER, srcPort: 40000, dstPort: 53, payload: twice }));
    });
  });

  describe("hostile and broken packets pass untouched, without a hook error", () => {
    const udpTo53 = (payload: Uint8Array) => udpPacket({ src: CLIENT, dst: SERVER, srcPort: 40000, dstPort: 53, payload });
    const fromUpstream = (payload: Uint8Array) => udpPacket({ src: UPSTREAM, dst: CLIENT, srcPort: 53, dstPort: 40000, payload });

    it("frames cut at every length, and UDP lengths that lie", () => {
      const frame = query("www.example.test", DNS_TYPE.A);
      for (let cut = 0; cut < frame.length; cut++) passed(frame.subarray(0, cut));
      for (const udpLength of [0, 7, 8, 19, 30, frame.length - 34 + 1, 0xffff]) {
        const lying = frame.slice();
        lying.set([udpLength >> 8, udpLength & 0xff], 38);
        passed(lying);
      }
    });

    it("IPv6: frames cut at every length, payload and UDP lengths that lie, extension headers, a UDP checksum of 0", () => {
      const frame = query6("www.example.test", DNS_TYPE.A);
      for (let cut = 0; cut < frame.length; cut++) passed(frame.subarray(0, cut));
      const bad = (offset: number, ...bytes: number[]) => {
        const b = frame.slice();
        b.set(bytes, offset);
        return b;
      };
      const payloadLength = frame.length - 54;
      for (const length of [0, 19, payloadLength + 1, 0xffff]) passed(bad(18, length >> 8, length & 0xff));
      for (const length of [0, 19, payloadLength + 1]) passed(bad(58, length >> 8, length & 0xff));
      passed(bad(20, 0)); // a hop-by-hop options header before the UDP header
      passed(bad(14, 0x45)); // version 4 in an IPv6 frame
      passed(bad(60, 0, 0)); // no UDP checksum: the stack drops it over IPv6
      expect(answered(concat(frame, new Uint8Array(20))).answers).toHaveLength(2); // Ethernet padding
    });

    it("non-IPv4 frames, bad IP headers and fragments", () => {
      const frame = query("www.example.test", DNS_TYPE.A);
      for (const [offset, value] of [[13, 0x06], [14, 0x44], [14, 0x65], [14, 0x4f], [20, 0x20], [21, 0x01], [23, 6]] as const) {
        const bad = frame.slice();
        bad[offset] = value;
        passed(resum(bad));
      }
      // A header checksum that is wrong: the stack would drop it.
      const bad = frame.slice();
      bad[25] ^= 1;
      passed(bad);
    });

    it("IPv4 total lengths that disagree with the frame or the UDP length; padding after the datagram is fine", () => {
      const frame = query("www.example.test", DNS_TYPE.A);
      const total = frame.length - 14;
      for (const length of [0, 19, 20, 27, total - 1, total + 1, 0xffff]) {
        const lying = frame.slice();
        lying.set([length >> 8, length & 0xff], 16);
        passed(resum(lying));
      }
      // Ethernet padding (a frame longer than the IPv4 datagram) is not part of the message.
      expect(answered(concat(frame, new Uint8Array(20))).answers).toHaveLength(2);
      // A UDP length shorter than the IP payload: the stack reads the message as the UDP length says, and so does the hook.
      const short = concat(frame, Uint8Array.of(0, 0, 0, 0));
      short.set([(total + 4) >> 8, (total + 4) & 0xff], 16);
      expect(answered(resum(short)).answers).toHaveLength(2);
    });

    it("queries that are not exactly a header and their counted sections", () => {
      const sent = parsePacket(query("www.example.test", DNS_TYPE.A));
      const trailing = concat(sent.udp!.payload, Uint8Array.of(0));
      passed(udpTo53(trailing));
      const lying = sent.udp!.payload.slice();
      lying[11] = 1; // ARCOUNT 1, no record
      passed(udpTo53(lying));
      lying[11] = 2;
      passed(udpTo53(lying));
    });

    it("replies that would not fit 512 bytes without EDNS pass, for the server behind to truncate", () => {
      hook.rcu.set(key("www.example.test", DNS_TYPE.A), value(DNS_TYPE.A, 300, Array.from({ length: 40 }, (_, i) => ipv4(`192.0.2.${i}`))));
      passed(query("www.example.test", DNS_TYPE.A));
      expect(answered(withOpt(query("www.example.test", DNS_TYPE.A), 1232)).answers).toHaveLength(40);
      passed(withOpt(query("www.example.test", DNS_TYPE.A), 600));
    });

    it("compression loops, forward pointers, reserved label types and oversized names in the question", () => {
      for (const name of [
        [0xc0, 12],
        [0xc0, 14, 0xc0, 12],
        [...label("www"), 0xc0, 12],
        [0xc0, 13],
        [0x40, 0],
        [0x80, 0],
        ...[64, 127, 255].map((n) => Array.from({ length: n }, () => label("aaa")).flat().concat(0)),
      ]) {
        passed(udpTo53(rawMessage([1, 0], ...name, 0, 1, 0, 1)));
          passed(fromUpstream(rawMessage([1, 1], ...name, 0, 1, 0, 1, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1)));
      }
    });

    it("a compressed question, which the answer could not copy", () => {
      // "www" + a pointer to the header's QDCOUNT (read as the root): the name is "www", but a copied
      // question would point into the reply's header instead.
      hook.rcu.set(key("www", DNS_TYPE.A), value(DNS_TYPE.A, 60, [ipv4("192.0.2.1")]));
      expect(answered(query("www", DNS_TYPE.A)).answers).toHaveLength(1);
      passed(udpTo53(rawMessage([1, 0], ...label("www"), 0xc0, 4, 0, 1, 0, 1)));
    });

    it("queries that already carry answers or authority records", () => {
      const m = rawMessage([1, 0], ...QUESTION_A);
      m[9] = 1;
      passed(udpTo53(m));
      m[9] = 0;
      m[7] = 1;
      passed(udpTo53(m));
    });

    it("names whose rcu key would be too long, at the 255-byte limit", () => {
      // 251 characters are 253 bytes on the wire: with the 2 type bytes, the longest name a key holds.
      const longest = `${Array(3).fill("a".repeat(63)).join(".")}.${"b".repeat(59)}`;
      for (const name of [longest, `${longest}b`, `${longest}bb`]) {
        const fits = name === longest;
        passed(response(name, DNS_TYPE.AAAA, [{ name, type: DNS_TYPE.AAAA, ttl: 60, data: ipv6("2001:db8::1") }]));
        passed(response(name, DNS_TYPE.A, [a(name, 60, "192.0.2.1")]));
        if (!fits) {
          passed(query(name, DNS_TYPE.AAAA));
          passed(query(name, DNS_TYPE.A));
          continue;
        }
        expect(answered(query(name, DNS_TYPE.AAAA)).answers.map((r) => formatIp(r.data))).toEqual(["2001:db8::1"]);
        expect(answered(query(name, DNS_TYPE.A)).answers.map((r) => formatIp(r.data))).toEqual(["192.0.2.1"]);
        for (const type of [DNS_TYPE.A, DNS_TYPE.AAAA]) hook.rcu.set(key(name, type), undefined);
      }
    });

    it("responses with records cut short, lying counts or hostile record names, learning nothing", () => {
      const good = response("cached.example.net", DNS_TYPE.A, [a("cached.example.net", 60, "198.51.100.7")]);
      for (let cut = good.length - 1; cut > 42 + 12; cut--) {
        const short = good.slice(0, cut);
        short.set([(cut - 34) >> 8, (cut - 34) & 0xff], 38);
        passed(short);
      }
      const lying = good.slice();
      lying[42 + 6] = 0xff;
      passed(lying);
      const question = [...label("cached"), ...label("example"), ...label("net"), 0, 0, 1, 0, 1];
      for (const owner of [[0xc0, 12 + question.length], [0xc0, 0xff], [0x80]]) {
        passed(fromUpstream(rawMessage([1, 1], ...question, ...owner, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1)));
      }
      passed(query("cached.example.net", DNS_TYPE.A));
    });
  });
});
