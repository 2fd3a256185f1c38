/**
 * Replays dig.pcap (made by fixtures/capture.sh): dig's real queries, EDNS included, and a real upstream's
 * responses, on the client side of the link. The capture's timestamps drive the hook's clock.
 */
import { describe, expect, it } from "vitest";
import { LINKTYPE_ETHERNET, formatIp, loadHook, parseDns, parsePacket, readPcap } from "kscript/testing";
import { readWire } from "./wire";
import { zoneEntries } from "./zone";

const CLOCK = 0;
// Next to this file (readPcap resolves relative paths from the working directory, not the project).
const capture = readPcap(expect.getState().testPath!.replace(/[^/]+$/, "fixtures/dig.pcap"));
const seconds = (micros: number) => Math.floor(micros / 1e6);

describe("xdp-dns on captured dig traffic", async () => {
  const hook = await loadHook("src/dns.ts", { limits: { instructions: 20000 } });
  for (const [key, value] of zoneEntries()) hook.rcu.set(key, value);
  const replay = capture.packets.map((p) => {
    hook.rcu.set(CLOCK, seconds(p.timeMicros));
    return { sent: parsePacket(p.data), result: hook.runXdp(p.data) };
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
    expect(hook.rcu.get("cached.example.net/1")).toBe(`600 ${learned + 600} 198.51.100.7 198.51.100.8`);
    expect(hook.rcu.get("cached.example.net/28")).toBe(`120 ${seconds(capture.packets[3].timeMicros) + 120} 2001:db8:5:0:0:0:0:7`);
    expect(hook.rcu.get("alias.example.net/1")).toBeUndefined();
    expect(hook.rcu.get("missing.example.net/1")).toBeUndefined();
  });

  it("answers dig's first query from the cache until the TTL runs out", () => {
    const first = capture.packets[0];
    const learned = seconds(capture.packets[1].timeMicros);
    hook.rcu.set(CLOCK, learned + 599);
    const reply = parseDns(parsePacket(hook.runXdp(first.data).packet).udp!.payload);
    expect(reply.answers.map((r) => [r.ttl, formatIp(r.data)])).toEqual([
      [1, "198.51.100.7"],
      [1, "198.51.100.8"],
    ]);
    hook.rcu.set(CLOCK, learned + 600);
    expect(hook.runXdp(first.data).actionName).toBe("pass");
  });
});
