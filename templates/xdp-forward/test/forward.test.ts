import fs from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { concat, inetChecksum, loadHook, parsePacket, tcpPacket, udpPacket, type Hook } from "kscript/testing";
// The rule compiler behind `kscript rules`, from the kscript checkout this template lives in.
import { COUNT_KEY, MAX_RULES, compileRules, interfaceKey } from "kscript/rules";

const IFINDEX: Record<string, number> = { eth0: 3, eth1: 7 };

/** A fresh hook with `rules` compiled by the real compiler and loaded into its rcu, as `kscript rules compile | sh` would. */
async function forwarder(rules: string, ifindex = IFINDEX): Promise<Hook> {
  const hook = await loadHook("src/forward.ts");
  const compiled = compileRules(rules, "test.rules");
  expect(compiled.diagnostics).toEqual([]);
  for (const { key, value } of compiled.entries) hook.rcu.set(key, value);
  for (const name of compiled.interfaces) if (ifindex[name] !== undefined) hook.rcu.set(interfaceKey(name), ifindex[name]);
  return hook;
}

const payload = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff);
const udp = (src: string, dst: string, srcPort: number, dstPort: number, n = 12) => udpPacket({ src, dst, srcPort, dstPort, payload: payload(n) });
const tcp = (src: string, dst: string, srcPort: number, dstPort: number, n = 12) =>
  tcpPacket({ src, dst, srcPort, dstPort, seq: 0x01020304, ack: 0x0a0b0c0d, payload: payload(n) });

/** Asserts the hook left the packet alone and let it through. */
function passesUntouched(hook: Hook, frame: Uint8Array): void {
  const r = hook.runXdp(frame);
  expect(r.actionName).toBe("pass");
  expect(r.redirect).toBeUndefined();
  expect(r.packet).toEqual(frame);
}

function expectValidChecksums(frame: Uint8Array): void {
  const p = parsePacket(frame);
  expect(p.ip?.checksumOk).toBe(true);
  expect((p.udp ?? p.tcp)?.checksumOk).toBe(true);
}

const RULES = `
# DNS DNAT (the README's example)
-d 10.0.0.2 --dport 2222 -p udp --to-destination 192.168.0.1:53 eth0
# TCP from a network and unprivileged ports: new address, next-hop MACs, out of eth1
-p tcp -s 10.1.0.0/16 --sport 1024:65535 -d 10.0.0.3 --to-destination 192.168.0.20 --to-mac 02:00:00:00:00:09 --from-mac 02:00:00:00:00:01 -o eth1
# port only
-p tcp -d 10.0.0.3 --dport 8080 --to-destination :80 eth1
`;

describe("forwarding", () => {
  let hook: Hook;
  beforeAll(async () => {
    hook = await forwarder(RULES);
  });

  it("rewrites UDP destination address and port and redirects to the rule's interface", () => {
    const r = hook.runXdp(udp("10.9.0.1", "10.0.0.2", 40000, 2222));
    expect(r.actionName).toBe("redirect");
    expect(r.redirect).toBe(IFINDEX.eth0);
    // Byte for byte what the builders make for the new destination, checksums included.
    expect(r.packet).toEqual(udp("10.9.0.1", "192.168.0.1", 40000, 53));
    expectValidChecksums(r.packet);
  });

  it("rewrites a TCP destination address and both MAC addresses", () => {
    const r = hook.runXdp(tcp("10.1.200.9", "10.0.0.3", 50000, 443));
    expect(r.redirect).toBe(IFINDEX.eth1);
    const expected = tcpPacket({
      src: "10.1.200.9", dst: "192.168.0.20", srcPort: 50000, dstPort: 443, seq: 0x01020304, ack: 0x0a0b0c0d, payload: payload(12),
      dstMac: "02:00:00:00:00:09", srcMac: "02:00:00:00:00:01",
    });
    expect(r.packet).toEqual(expected);
    expectValidChecksums(r.packet);
    const p = parsePacket(r.packet);
    expect([p.eth.dst, p.eth.src]).toEqual(["02:00:00:00:00:09", "02:00:00:00:00:01"]);
  });

  it("rewrites only the port for a port-only target; the first matching rule wins", () => {
    const portOnly = hook.runXdp(tcp("10.2.0.1", "10.0.0.3", 50000, 8080));
    expect(portOnly.redirect).toBe(IFINDEX.eth1);
    expect(portOnly.packet).toEqual(tcp("10.2.0.1", "10.0.0.3", 50000, 80));
    // From 10.1/16 with a high source port, rule 2 comes first: the address changes, the port stays.
    const first = hook.runXdp(tcp("10.1.0.1", "10.0.0.3", 50000, 8080));
    expect(parsePacket(first.packet).ip?.dst).toBe("192.168.0.20");
    expect(parsePacket(first.packet).tcp?.dstPort).toBe(8080);
  });

  it("keeps a UDP checksum of 0 (none) at 0 and still fixes the IPv4 header checksum", () => {
    const frame = udp("10.9.0.1", "10.0.0.2", 40000, 2222);
    frame.set([0, 0], 14 + 20 + 6);
    const r = hook.runXdp(frame);
    expect(r.actionName).toBe("redirect");
    const p = parsePacket(r.packet);
    expect([p.ip?.dst, p.udp?.dstPort, p.ip?.checksumOk]).toEqual(["192.168.0.1", 53, true]);
    expect(r.packet.subarray(14 + 20 + 6, 14 + 20 + 8)).toEqual(Uint8Array.of(0, 0));
  });

  it("sends a rewritten UDP checksum that comes to 0 as 0xffff", () => {
    // A payload word equal to the checksum the datagram has with a zero word there makes the sum 0.
    const zero = udpPacket({ src: "10.9.0.1", dst: "192.168.0.1", srcPort: 40000, dstPort: 53, payload: new Uint8Array(2) });
    const word = Uint8Array.of(zero[40], zero[41]);
    const expected = udpPacket({ src: "10.9.0.1", dst: "192.168.0.1", srcPort: 40000, dstPort: 53, payload: word });
    expect(expected.subarray(40, 42)).toEqual(Uint8Array.of(0xff, 0xff));
    const r = hook.runXdp(udpPacket({ src: "10.9.0.1", dst: "10.0.0.2", srcPort: 40000, dstPort: 2222, payload: word }));
    expect(r.packet).toEqual(expected);
  });

  it("updates a TCP checksum of 0 (the sum needs its carry folded twice)", async () => {
    // As above, a payload word that brings the checksum to 0; then the address's low half goes from 0 to 1.
    const segment = (dst: string, payload: Uint8Array) => tcpPacket({ src: "10.9.0.1", dst, srcPort: 40000, dstPort: 80, payload });
    const zero = segment("10.0.0.0", new Uint8Array(2));
    const frame = segment("10.0.0.0", zero.subarray(50, 52));
    expect(frame.subarray(50, 52)).toEqual(Uint8Array.of(0, 0));
    const r = (await forwarder("-p tcp -d 10.0.0.0 --to-destination 10.0.0.1 eth0")).runXdp(frame);
    expect(r.packet).toEqual(segment("10.0.0.1", zero.subarray(50, 52)));
    expectValidChecksums(r.packet);
  });

  it("rewrites behind IPv4 options, and leaves Ethernet padding alone", () => {
    // The same datagram with a 4-byte options field (four NOPs): IHL 6, total length + 4, new header checksum.
    const plain = udp("10.9.0.1", "10.0.0.2", 40000, 2222, 3);
    const ip = plain.subarray(14);
    const header = concat(Uint8Array.of(0x46, ip[1], (ip.length + 4) >> 8, (ip.length + 4) & 0xff), ip.subarray(4, 20), Uint8Array.of(1, 1, 1, 1));
    header.set([0, 0], 10);
    const sum = inetChecksum(header);
    header.set([sum >> 8, sum & 0xff], 10);
    const padding = new Uint8Array(9).fill(0xee);
    const frame = concat(plain.subarray(0, 14), header, ip.subarray(20), padding);
    const r = hook.runXdp(frame);
    expect(r.redirect).toBe(IFINDEX.eth0);
    const p = parsePacket(r.packet);
    expect([p.ip?.dst, p.udp?.dstPort, p.udp?.payload]).toEqual(["192.168.0.1", 53, payload(3)]);
    expectValidChecksums(r.packet);
    expect(r.packet.subarray(r.packet.length - padding.length)).toEqual(padding);
  });

  it("passes packets no rule matches untouched", () => {
    passesUntouched(hook, udp("10.9.0.1", "10.0.0.2", 40000, 2223)); // other port
    passesUntouched(hook, udp("10.9.0.1", "10.0.0.9", 40000, 2222)); // other address
    passesUntouched(hook, tcp("10.9.0.1", "10.0.0.2", 40000, 2222)); // TCP to a UDP rule
    passesUntouched(hook, tcp("10.1.0.1", "10.0.0.3", 1023, 443)); // source port below the range
    passesUntouched(hook, tcp("10.3.0.1", "10.0.0.3", 50000, 443)); // source outside 10.1.0.0/16
    passesUntouched(hook, udpPacket({ src: "fd00::1", dst: "fd00::2", srcPort: 40000, dstPort: 2222, payload: payload(8) })); // IPv6
  });
});

describe("hostile and malformed packets pass untouched, without a hook error", () => {
  let hook: Hook;
  // A catch-all rule, so anything the hook mistook for a TCP/UDP packet would be rewritten.
  beforeAll(async () => {
    hook = await forwarder("--to-destination 192.168.0.1 --to-mac 02:00:00:00:00:09 eth0");
  });
  const good = udp("10.9.0.1", "10.0.0.2", 40000, 2222, 5);
  const edit = (frame: Uint8Array, offset: number, ...values: number[]) => {
    const copy = Uint8Array.from(frame);
    copy.set(values, offset);
    return copy;
  };

  it("forwards the well-formed packet these are made from", () => {
    expect(hook.runXdp(good).redirect).toBe(IFINDEX.eth0);
    expect(hook.runXdp(tcp("10.9.0.1", "10.0.0.2", 1, 2)).redirect).toBe(IFINDEX.eth0);
  });

  it("truncated at every length", () => {
    for (const frame of [good, tcp("10.9.0.1", "10.0.0.2", 1, 2)]) {
      for (let n = 0; n < frame.length; n++) passesUntouched(hook, frame.slice(0, n));
    }
  });

  it("bad version, IHL or lengths", () => {
    passesUntouched(hook, edit(good, 14, 0x65)); // version 6 behind the IPv4 EtherType
    for (const ihl of [0, 1, 4]) passesUntouched(hook, edit(good, 14, 0x40 | ihl)); // header under 20 bytes
    passesUntouched(hook, edit(good, 14, 0x4f)); // 60-byte header: no room left for the UDP header
    passesUntouched(hook, edit(good, 16, 0, 27)); // total length leaves 7 bytes for an 8-byte UDP header
    passesUntouched(hook, edit(good, 16, 0xff, 0xff)); // total length past the frame
    // 12 bytes of a 20-byte TCP header, the IPv4 total length saying so.
    passesUntouched(hook, edit(tcp("10.9.0.1", "10.0.0.2", 1, 2), 16, 0, 32).slice(0, 14 + 32));
  });

  it("bad TCP header length or UDP length", () => {
    const segment = tcp("10.9.0.1", "10.0.0.2", 1, 2, 4);
    passesUntouched(hook, edit(segment, 14 + 20 + 12, 0x40)); // data offset 4: under 20 bytes
    passesUntouched(hook, edit(segment, 14 + 20 + 12, 0x70)); // data offset 7: 28 bytes, of 24 there
    passesUntouched(hook, edit(good, 14 + 20 + 4, 0, 7)); // UDP length under the header
    passesUntouched(hook, edit(good, 14 + 20 + 4, 0, 14)); // UDP length past the datagram (13 bytes)
  });

  it("a damaged IPv4 header checksum", () => {
    passesUntouched(hook, edit(good, 14 + 10, good[24] ^ 0x01));
  });

  it("fragments: more-fragments set, or a fragment offset", () => {
    passesUntouched(hook, edit(good, 20, 0x20, 0)); // MF
    passesUntouched(hook, edit(good, 20, 0x00, 0x01)); // offset 8
    passesUntouched(hook, edit(good, 20, 0x1f, 0xff)); // largest offset
  });

  it("non-IP and other IP protocols", () => {
    passesUntouched(hook, edit(good, 12, 0x08, 0x06)); // ARP EtherType
    passesUntouched(hook, edit(good, 12, 0x81, 0x00)); // VLAN tag
    passesUntouched(hook, edit(good, 23, 1)); // ICMP
    passesUntouched(hook, new Uint8Array(1500)); // zeros
  });
});

describe("deploy-time state", () => {
  it("passes when the rule's interface has no ifindex yet", async () => {
    const hook = await forwarder("-p udp --dport 53 --to-destination 192.168.0.1 eth0", {});
    passesUntouched(hook, udp("10.9.0.1", "10.0.0.2", 40000, 53));
    hook.rcu.set(interfaceKey("eth0"), 0); // no interface has ifindex 0
    passesUntouched(hook, udp("10.9.0.1", "10.0.0.2", 40000, 53));
    hook.rcu.set(interfaceKey("eth0"), 12);
    expect(hook.runXdp(udp("10.9.0.1", "10.0.0.2", 40000, 53)).redirect).toBe(12);
  });

  it("passes everything while the rule count is 0 (rules being reloaded)", async () => {
    const hook = await forwarder("--to-destination 192.168.0.1 eth0");
    hook.rcu.set(COUNT_KEY, 0);
    passesUntouched(hook, udp("10.9.0.1", "10.0.0.2", 40000, 53));
  });

  it("matches the last of the most rules a file may hold within the instruction budget", async () => {
    const rules = Array.from({ length: MAX_RULES }, (_, i) => `-p udp -s 10.${i >> 8}.${i & 0xff}.0/24 --sport 1000:2000 -d 10.200.0.0/16 --dport 53 eth0`);
    const hook = await forwarder(rules.join("\n"));
    expect(hook.runXdp(udp(`10.0.${MAX_RULES - 1}.1`, "10.200.1.1", 1500, 53)).redirect).toBe(IFINDEX.eth0);
    passesUntouched(hook, udp("10.9.9.9", "10.200.1.1", 1500, 53));
  });
});

describe("checksums over many random packets and targets", () => {
  // A linear congruential generator from a fixed starting state, so a failure can be replayed.
  let state = 0x2545f491;
  const random = (n: number) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % n;
  };
  const address = () => [random(256), random(256), random(256), random(256)].join(".");
  const targets = Array.from({ length: 24 }, (_, i) => ({ dport: 1000 + i, address: address(), port: random(65536), tcp: i % 2 === 0 }));

  it("every rewritten packet equals the packet built for its new destination", { timeout: 60_000 }, async () => {
    const hook = await forwarder(targets.map((t) => `-p ${t.tcp ? "tcp" : "udp"} --dport ${t.dport} --to-destination ${t.address}:${t.port} eth0`).join("\n"));
    for (let i = 0; i < 300; i++) {
      const t = targets[random(targets.length)];
      const [src, dst, srcPort, n] = [address(), address(), random(65536), random(40)];
      const make = t.tcp ? tcp : udp;
      const r = hook.runXdp(make(src, dst, srcPort, t.dport, n));
      expect(r.redirect).toBe(IFINDEX.eth0);
      expect(r.packet).toEqual(make(src, t.address, srcPort, t.port, n));
      expectValidChecksums(r.packet);
    }
  });
});

describe("the template's rule file", () => {
  it("compiles clean and forwards its first example", async () => {
    const hook = await forwarder(fs.readFileSync(new URL("../forward.rules", import.meta.url), "utf8"));
    const r = hook.runXdp(udp("10.9.0.1", "10.0.0.2", 40000, 2222));
    expect(r.redirect).toBe(IFINDEX.eth0);
    expect(r.packet).toEqual(udp("10.9.0.1", "192.168.0.1", 40000, 53));
  });
});
