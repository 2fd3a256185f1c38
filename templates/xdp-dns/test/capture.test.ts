/**
 * Replays dig.pcap (made by fixtures/capture.sh): dig's real queries, EDNS included, and a real upstream's
 * responses, on the client side of the link. The capture's timestamps drive the hook's clock (time.seconds()),
 * which only the emulator can set.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { LINKTYPE_ETHERNET, formatIp, ipv4, ipv6, loadHook, parseDns, parsePacket, readPcap } from "kscript/testing";
import { readWire } from "./wire";
import { key, value, zoneEntries } from "./zone";

// Next to this file (readPcap resolves relative paths from the working directory, not the project).
const capture = readPcap(expect.getState().testPath!.replace(/[^/]+$/, "fixtures/dig.pcap"));
const seconds = (micros: number) => Math.floor(micros / 1e6);

const hook = await loadHook("src/dns.ts", { limits: { instructions: 20000 } });
const clock = hook.engine?.clock;
const at = (s: number) => clock!.set(BigInt(s) * 1_000_000_000n);

describe.runIf(clock)("xdp-dns on captured dig traffic", () => {
  // Replayed before the tests, not while they are collected (which happens in the kernel too, where they skip).
  const replay: { sent: ReturnType<typeof parsePacket>; result: ReturnType<typeof hook.runXdp> }[] = [];
  beforeAll(() => {
    for (const [k, v] of zoneEntries()) hook.rcu.set(k, v);
    for (const p of capture.packets) {
      at(seconds(p.timeMicros));
      replay.push({ sent: parsePacket(p.data), result: hook.runXdp(p.data) });
    }
  });

  it("is an Ethernet capture of dig's queries and the upstream's responses", () => {
    expect(capture.linkType).toBe(LINKTYPE_ETHERNET);
    expect(replay.map(({ sent }) => parseDns(sent.udp!.payload).questions[0].name)).toEqual(
      ["cached.example.net", "cached.example.net", "alias.example.net", "missing.example.net", "Example.TEST", "example.test", "www.example.test", "example.test", "cached.example.net"].flatMap((n) => [n, n]),
    );
  });

  it("answers the queries for zone names and passes everything else untouched", () => {
    expect(replay.map(({ result }) => result.actionName)).toEqual([
      ...Array(8).fill("pass"),
      ...["tx", "pass", "tx", "pass", "tx", "pass"],
      ...Array(4).fill("pass"),
    ]);
    for (const [i, { result }] of replay.entries()) if (result.actionName === "pass") expect(result.packet).toEqual(capture.packets[i].data);
  });

  it("gives dig's EDNS and plain queries the zone's records, keeping ID and question", () => {
    const answers = [8, 10, 12].map((i) => {
      const query = parseDns(replay[i].sent.udp!.payload);
      const reply = readWire(parsePacket(replay[i].result.packet).udp!.payload);
      expect([reply.id, reply.questions, reply.flags]).toEqual([query.id, query.questions, 0x8500]);
      // dig's EDNS queries get an OPT record back; its plain ones none.
      expect(reply.opt?.version ?? "none").toBe(replay[i].sent.udp!.payload[11] === 1 ? 0 : "none");
      return reply.answers.map((r) => formatIp(r.data));
    });
    expect(answers).toEqual([["192.0.2.10"], ["2001:db8::10"], ["192.0.2.11", "192.0.2.12"]]);
  });

  it("learned the upstream's A and AAAA answers with their TTLs, and not the CNAME's target", () => {
    const learned = seconds(capture.packets[1].timeMicros);
    expect(hook.rcu.get(key("cached.example.net", 1))).toBe(value(1, 600, [ipv4("198.51.100.7"), ipv4("198.51.100.8")], learned + 600));
    expect(hook.rcu.get(key("cached.example.net", 28))).toBe(value(28, 120, [ipv6("2001:db8:5::7")], seconds(capture.packets[3].timeMicros) + 120));
    expect(hook.rcu.get(key("alias.example.net", 1))).toBeUndefined();
    expect(hook.rcu.get(key("missing.example.net", 1))).toBeUndefined();
  });

  it("answers dig's first query from the cache until the TTL runs out", () => {
    const first = capture.packets[0];
    const learned = seconds(capture.packets[1].timeMicros);
    at(learned + 599);
    const reply = parseDns(parsePacket(hook.runXdp(first.data).packet).udp!.payload);
    expect(reply.answers.map((r) => [r.ttl, formatIp(r.data)])).toEqual([
      [1, "198.51.100.7"],
      [1, "198.51.100.8"],
    ]);
    at(learned + 600);
    expect(hook.runXdp(first.data).actionName).toBe("pass");
  });
});
