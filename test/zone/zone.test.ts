/**
 * The zone compiler (zone/): generated zone files read by it and by dnspython's zone parser (Debian's
 * python3-dnspython) must give the same names, types, TTLs and addresses; its rcu entries are checked byte by
 * byte; what it does not take is a located error from the catalog.
 */
import { describe, expect, it } from "vitest";
import { dnspythonZones, type ZoneSet } from "../helpers/python.js";
import { compileZone, entryKey, ipv4Bytes, ipv6Bytes, maxRecords, type ZoneEntry } from "../../zone/index.js";

/** A small deterministic generator (mulberry32), so a failing zone can be made again from its number. */
function random(start: number): () => number {
  let a = start >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A zone file using what the compiler reads: directives, owner forms, TTL/class, parentheses, comments, cases. */
function generateZone(n: number): string {
  const r = random(n);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const int = (n: number) => Math.floor(r() * n);
  const mixCase = (s: string) => Array.from(s, (c) => (r() < 0.3 ? c.toUpperCase() : c)).join("");
  const origin = `z${n}.example.test.`;
  const lines: string[] = [`; zone ${n}`, `$ORIGIN ${mixCase(origin)}`];
  /** Seconds, or BIND's durations as zone files often write them. */
  const ttlText = (n: number) => (r() < 0.7 ? String(int(n)) : pick(["1h", "30m", "2D", "1w", "1h30m", "90s", "1d12H", "0s"]));
  if (r() < 0.7) lines.push(`$TTL ${ttlText(86400)}`);
  if (r() < 0.5) lines.push(`@ 3600 IN SOA ns.example.net. hostmaster.${origin} ( ${int(1000)} 1h 600 1W ${ttlText(3600)} ) ; the SOA`);
  const names = ["@", "www", "mail", "a.b", "deep.er.name", `abs.${origin}`, `other.${origin}`];
  let hasOwner = false;
  let subOrigin = false;
  for (let i = 0; i < 25; i++) {
    if (r() < 0.05) lines.push(`$TTL ${ttlText(100000)}`);
    if (!subOrigin && r() < 0.03) {
      lines.push(`$ORIGIN sub.${origin}`);
      subOrigin = true;
    }
    const owner = hasOwner && r() < 0.25 ? "   " : mixCase(pick(names));
    hasOwner = true;
    const ttl = r() < 0.5 || i === 0 ? `${ttlText(100000)} ` : "";
    const klass = r() < 0.5 ? "IN " : "";
    const v6 = r() < 0.4;
    const address = v6
      ? pick([
          `2001:db8::${int(65536).toString(16)}`,
          `2001:DB8:${int(65536).toString(16)}:0:0:0:0:${int(65536).toString(16)}`,
          `::ffff:192.0.2.${int(256)}`,
          `fe80::${int(65536).toString(16)}:${int(65536).toString(16)}`,
          "::1",
          "::",
        ])
      : `${pick([192, 198, 203, 10])}.${int(256)}.${int(256)}.${int(256)}`;
    const type = v6 ? pick(["AAAA", "aaaa"]) : pick(["A", "a"]);
    const comment = r() < 0.2 ? " ; note" : "";
    if (r() < 0.15) lines.push(`${owner} ( ${ttl}${klass}`, `\t${type} ${address} )${comment}`);
    else lines.push(`${owner} ${ttl}${klass}${type}\t${address}${comment}`);
    if (r() < 0.1) lines.push("");
  }
  return lines.join("\n") + "\n";
}

/** The compiler's entries read back from their bytes: name from the key, TTL and rdata from the records. */
function decoded(entries: ZoneEntry[]): ZoneSet[] {
  return entries.map((e) => {
    const key = Buffer.from(e.key, "latin1");
    const value = Buffer.from(e.value, "latin1");
    const labels: string[] = [];
    for (let o = 0; key[o] !== 0; o += key[o] + 1) labels.push(key.subarray(o + 1, o + 1 + key[o]).toString("latin1"));
    const type = key.readUInt16BE(key.length - 2);
    const count = value[0];
    expect(value.readUInt32BE(1)).toBe(0); // a zone entry never expires
    const size = type === 1 ? 4 : 16;
    const rdata: string[] = [];
    const ttls = new Set<number>();
    for (let i = 0, o = 5; i < count; i++, o += 12 + size) {
      expect([value.readUInt16BE(o), value.readUInt16BE(o + 2), value.readUInt16BE(o + 4), value.readUInt16BE(o + 10)]).toEqual([0xc00c, type, 1, size]);
      ttls.add(value.readUInt32BE(o + 6));
      rdata.push(value.subarray(o + 12, o + 12 + size).toString("hex"));
    }
    expect(value.length).toBe(5 + count * (12 + size));
    expect([...ttls]).toEqual([e.ttl]);
    return { name: `${labels.join(".")}.`, type, ttl: e.ttl, rdata: rdata.sort() };
  });
}

const byNameType = (a: ZoneSet, b: ZoneSet) => (a.name === b.name ? a.type - b.type : a.name < b.name ? -1 : 1);

describe("zone files, against dnspython's zone parser", () => {
  it("generated zones give the same RRsets (names, types, TTLs, addresses) and well-formed entries", async () => {
    const zones = Array.from({ length: 60 }, (_, i) => generateZone(i + 1));
    const theirs = await dnspythonZones(zones);
    zones.forEach((text, i) => {
      const ours = compileZone(text, `/zones/${i + 1}.zone`);
      expect(ours.diagnostics, text).toEqual([]);
      expect(decoded(ours.entries).sort(byNameType), text).toEqual(theirs[i]!.sort(byNameType));
    });
  });

  it("zones with one character changed, removed or added: what the compiler takes, dnspython takes and reads the same", async () => {
    const r = random(1035);
    const chars = [" ", "\t", "\n", ";", "(", ")", ".", "@", "$", ":", "0", "9", "1", "a", "A", "h", "\\", "\"", "*", "-"];
    const zones = Array.from({ length: 400 }, (_, i) => {
      const text = generateZone(1000 + (i % 40));
      const at = Math.floor(r() * text.length);
      const c = chars[Math.floor(r() * chars.length)];
      const change = Math.floor(r() * 3);
      return change === 0 ? text.slice(0, at) + c + text.slice(at + 1) : change === 1 ? text.slice(0, at) + text.slice(at + 1) : text.slice(0, at) + c + text.slice(at);
    });
    const theirs = await dnspythonZones(zones);
    let taken = 0;
    const laxer = zones.flatMap((text, i) => {
      const ours = compileZone(text, `/zones/changed-${i}.zone`);
      if (!ours.ok) return [];
      taken++;
      const want = theirs[i]?.sort(byNameType);
      const got = decoded(ours.entries).sort(byNameType);
      if (want && JSON.stringify(got) === JSON.stringify(want)) return [];
      const only = (a: ZoneSet[], b: ZoneSet[] | undefined) => a.filter((x) => !b?.some((y) => JSON.stringify(x) === JSON.stringify(y)));
      const base = generateZone(1000 + (i % 40)).split("\n");
      const changed = text.split("\n").filter((l) => !base.includes(l));
      return [`changed: ${JSON.stringify(changed)}\nonly ours: ${JSON.stringify(only(got, want))}\nonly dnspython: ${want ? JSON.stringify(only(want, got)) : "refused"}`];
    });
    expect(laxer).toEqual([]);
    // Most single changes leave a zone both read (a TTL digit, a comment, blanks): the sweep is not all refusals.
    expect(taken).toBeGreaterThan(100);
  });

  it("the template's zone file", async () => {
    const text = `$ORIGIN example.test.\n$TTL 300\n@ IN SOA ns.example.net. h.example.test. ( 1 2 3 4 5 )\n  IN NS ns.example.net.\n@ A 192.0.2.10\n  AAAA 2001:db8::10\nwww A 192.0.2.11\nwww A 192.0.2.12\n`;
    const ours = compileZone(text, "/zones/example.test.zone");
    expect(ours.skipped).toBe(2);
    expect(decoded(ours.entries).sort(byNameType)).toEqual((await dnspythonZones([text]))[0]!.sort(byNameType));
    // Keys: the question's bytes from the name to the type, lower case.
    expect(ours.entries.map((e) => Buffer.from(e.key, "latin1").toString("hex"))).toEqual([
      "076578616d706c6504746573740000" + "01",
      "076578616d706c6504746573740000" + "1c",
      "03777777076578616d706c6504746573740000" + "01",
    ]);
    expect(entryKey("WWW.Example.Test.", 1).toString("latin1")).toBe(ours.entries[2].key);
  });
});

describe("addresses", () => {
  it("IPv4: four decimal numbers 0-255 without leading zeros", () => {
    expect(ipv4Bytes("192.0.2.1")).toEqual(Buffer.from([192, 0, 2, 1]));
    for (const bad of ["192.0.2", "192.0.2.256", "192.0.2.01", "1.2.3.4.5", "a.b.c.d", "", "1..2.3"]) expect(ipv4Bytes(bad), bad).toBeUndefined();
  });

  it("IPv6: eight groups, one '::', a trailing IPv4", () => {
    expect(ipv6Bytes("2001:db8::1")?.toString("hex")).toBe("20010db8000000000000000000000001");
    expect(ipv6Bytes("::")?.toString("hex")).toBe("0".repeat(32));
    expect(ipv6Bytes("::ffff:192.0.2.1")?.toString("hex")).toBe("00000000000000000000ffffc0000201");
    expect(ipv6Bytes("1:2:3:4:5:6:7:8")?.toString("hex")).toBe("00010002000300040005000600070008");
    for (const bad of ["1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "g::", "1:2:3:4:5:6:7::8", ":1:2:3:4:5:6:7", "::1.2.3"]) {
      expect(ipv6Bytes(bad), bad).toBeUndefined();
    }
  });
});

describe("located errors", () => {
  const error = (text: string) => {
    const r = compileZone(text, "/z/bad.zone");
    expect(r.ok).toBe(false);
    expect(r.entries).toEqual([]);
    const [d] = r.diagnostics;
    return `${d.line},${d.column} ${d.code} ${d.message}`;
  };

  it("each names the line, the column and what to write", () => {
    expect(error("$ORIGIN a.test.\n$TTL 60\nwww MX 10 mail\n")).toBe("3,5 KS6001 'MX' is not a record type xdp-dns serves. Write A or AAAA records (SOA and NS records are checked, not served).");
    expect(error("$ORIGIN a.test.\n$TTL 60\nwww A 192.0.2.300\n")).toMatch(/^3,7 KS6004 '192\.0\.2\.300' is not an IPv4 address/);
    expect(error("$ORIGIN a.test.\n$TTL 60\nwww AAAA 2001:db8:::1\n")).toMatch(/^3,10 KS6005 /);
    expect(error("$ORIGIN a.test.\n$TTL 1y\n")).toMatch(/^2,6 KS6003 '1y' is not a TTL/);
    expect(error("$ORIGIN a.test.\n*.www 60 A 192.0.2.1\n")).toMatch(/^2,1 KS6015 '\*\.www' is a wildcard owner/);
    expect(error("$ORIGIN a.test.\n$TTL 1h30\n")).toMatch(/^2,6 KS6003 '1h30' is not a TTL/);
    expect(error("$ORIGIN a.test.\n$TTL 3551w\n")).toMatch(/^2,6 KS6003 '3551w' is not a TTL/);
    expect(error("$ORIGIN a.test.\nwww A 192.0.2.1\n")).toMatch(/^2,1 KS6007 /);
    expect(error("www 60 A 192.0.2.1\n")).toMatch(/^1,1 KS6008 'www' is relative/);
    expect(error("$INCLUDE other.zone\n")).toMatch(/^1,1 KS6009 '\$INCLUDE' is not supported/);
    expect(error("$ORIGIN a.test.\nwww ( 60 A\n 192.0.2.1\n")).toMatch(/^2,5 KS6010 This '\(' is never closed/);
    expect(error("$ORIGIN a.test.\nwww 60 A 192.0.2.1 )\n")).toMatch(/^2,20 KS6010 This '\)' closes no '\('/);
    expect(error("$ORIGIN a.test.\nwww 60 CH A 192.0.2.1\n")).toMatch(/^2,8 KS6006 'CH' is not class IN/);
    expect(error("$ORIGIN a.test.\nwww 60 A 192.0.2.1 192.0.2.2\n")).toMatch(/^2,20 KS6011 Expected the end of the record, found '192\.0\.2\.2'/);
    expect(error("$ORIGIN a.test.\nwww 60 A\n")).toMatch(/^2,9 KS6011 Expected an IPv4 address, found the end of the record/);
    expect(error("$ORIGIN a.test.\nw\\.w 60 A 192.0.2.1\n")).toMatch(/^2,2 KS6014 Escapes/);
    expect(error('$ORIGIN a.test.\nwww 60 TXT "x"\n')).toMatch(/^2,12 KS6014 Quoted strings/);
    expect(error("$ORIGIN a.test.\na..b 60 A 192.0.2.1\n")).toMatch(/^2,1 KS6002 'a\.\.b' is not a domain name: it has an empty label/);
    expect(error(`$ORIGIN a.test.\n${"x".repeat(64)} 60 A 192.0.2.1\n`)).toMatch(/^2,1 KS6002 .* the most is 63/);
    expect(error("   60 A 192.0.2.1\n")).toMatch(/^1,4 KS6011 Expected an owner name before the first record/);
    expect(error("$ORIGIN a.test.\n$ORIGIN sub\n")).toBe("2,9 KS6017 'sub' is relative; zone readers disagree on what a relative $ORIGIN is relative to. Write the whole name ending in a dot, e.g. '$ORIGIN sub.a.test.'.");
    expect(error("$ORIGIN a.test.\nwww 60 A 192.0.2.1\nb.test. 60 A 192.0.2.2\n")).toMatch(/^3,1 KS6016 'b\.test\.' is outside the zone 'a\.test\.' \(its first \$ORIGIN\)/);
    expect(error("a.test. 60 SOA ns.a.test. h.a.test. 1 2 3 4 5\ntest. 60 A 192.0.2.2\n")).toMatch(/^2,1 KS6016 'test\.' is outside the zone 'a\.test\.' \(the owner of its SOA record\)/);
    // An SOA away from the apex (here '@3600', one blank lost) is refused, as by BIND, NSD and dnspython.
    expect(error("$ORIGIN a.test.\n@3600 IN SOA ns.a.test. h.a.test. 1 2 3 4 5\n")).toMatch(/^2,1 KS6018 '@3600\.a\.test\.' holds an SOA record, which belongs at the zone's apex 'a\.test\.' \(its first \$ORIGIN\)/);
    expect(error("a.test. 60 SOA ns.a.test. h.a.test. 1 2 3 4 5\nsub.a.test. 60 SOA ns.a.test. h.a.test. 1 2 3 4 5\n")).toMatch(/^2,1 KS6018 'sub\.a\.test\.' .* \(the owner of its SOA record\)/);
  });

  it("names too long for a key, and RRsets too large for one entry", () => {
    const long = `${Array(3).fill("a".repeat(63)).join(".")}.${"b".repeat(60)}.`; // 254 bytes on the wire
    expect(error(`${long} 60 A 192.0.2.1\n`)).toMatch(/^1,\d+ KS6013 '.*' is 254 bytes on the wire/);
    const fits = compileZone(`${long.slice(1)} 60 A 192.0.2.1\n`, "/z/ok.zone");
    expect(fits.ok).toBe(true);
    expect(fits.entries[0].key.length).toBe(255);
    const many = (n: number) => Array.from({ length: n }, (_, i) => `x 60 AAAA 2001:db8::${(i + 1).toString(16)}`).join("\n");
    expect(compileZone(`$ORIGIN a.test.\n${many(maxRecords(28))}\n`, "/z/ok.zone").entries[0].value.length).toBeLessThanOrEqual(4096);
    expect(error(`$ORIGIN a.test.\n${many(maxRecords(28) + 1)}\n`)).toMatch(/^2,\d+ KS6012 x\.a\.test\. has 147 AAAA records; one rcu entry holds at most 146/);
  });
});
