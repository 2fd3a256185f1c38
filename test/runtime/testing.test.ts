/** The test API end to end: TypeScript hooks built by the compiler, packages on disk, captures replayed. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { buildEntry, writePackage } from "../../compiler/build.js";
import {
  HookError,
  LINKTYPE_ETHERNET,
  dnsMessage,
  loadHook,
  parseDns,
  parsePacket,
  readPcap,
  udpPacket,
} from "../../runtime/testing.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const hook = (name: string) => path.join(here, "hooks", `${name}.hook.ts`);

/** 1-based line of the first line of a hook's source containing `marker`. */
function lineOf(name: string, marker: string): number {
  return fs.readFileSync(hook(name), "utf8").split("\n").findIndex((l) => l.includes(marker)) + 1;
}

const dnsQuery = (id: number, name: string) =>
  udpPacket({
    srcMac: "02:00:00:00:00:0a",
    dstMac: "02:00:00:00:00:0b",
    src: "192.0.2.10",
    dst: "192.0.2.53",
    srcPort: 33000,
    dstPort: 53,
    payload: dnsMessage({ id, questions: [{ name, type: 1 }] }),
  });

describe("xdp hooks", () => {
  test("a DNS responder built from TypeScript answers with a well-formed reply", async () => {
    const dns = await loadHook(hook("dns"));
    expect(dns.target).toBe("xdp");
    const result = dns.runXdp(dnsQuery(0x4242, "ks.test"));
    expect(result.actionName).toBe("tx");
    const reply = parsePacket(result.packet);
    expect(reply.eth).toMatchObject({ src: "02:00:00:00:00:0b", dst: "02:00:00:00:00:0a" });
    expect(reply.ip).toMatchObject({ src: "192.0.2.53", dst: "192.0.2.10", checksumOk: true });
    expect(reply.udp).toMatchObject({ srcPort: 53, dstPort: 33000, checksumOk: true });
    const answer = parseDns(reply.udp!.payload);
    expect(answer).toMatchObject({ id: 0x4242, flags: 0x8180, questions: [{ name: "ks.test", type: 1 }] });
    expect(answer.answers).toEqual([{ name: "ks.test", type: 1, class: 1, ttl: 60, data: Uint8Array.of(10, 1, 2, 3) }]);
    expect(dns.runXdp(dnsQuery(7, "example.org")).actionName).toBe("pass");
  });

  test("a capture replays through the hook", async () => {
    const capture = readPcap(path.join(here, "fixtures", "dns-lo.pcap"));
    expect(capture.linkType).toBe(LINKTYPE_ETHERNET);
    expect(capture.packets).toHaveLength(3);
    const dns = await loadHook(hook("dns"));
    const verdicts = capture.packets.map((p) => dns.runXdp(p.data));
    expect(verdicts.map((v) => v.actionName)).toEqual(["tx", "pass", "tx"]);
    const ids = verdicts.filter((v) => v.actionName === "tx").map((v) => parseDns(parsePacket(v.packet).udp!.payload).id);
    expect(ids).toEqual([0x1001, 0x1003]);
  });

  test("each CPU has its own state", async () => {
    const dns = await loadHook(hook("dns"), { cpus: 4 });
    expect(dns.engine!.states).toHaveLength(4);
    expect(dns.runXdp(dnsQuery(1, "ks.test"), { cpu: 3 }).actionName).toBe("tx");
  });
});

describe("errors point at the TypeScript line", () => {
  const faulty = (mode: number) => udpPacket({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 1, dstPort: 2, payload: Uint8Array.of(mode) });
  const where = (marker: string) => `${path.relative(process.cwd(), hook("faulty"))}:${lineOf("faulty", marker)}: `;

  test.each([
    [2, "budget", "never ends", "instruction budget exceeded"],
    [3, "runtime", "out of bounds", "bad argument #1 to 'getbyte' (out of bounds)"],
    // An error object has no Lua position, a fault inside a lualib helper has the helper's: both are placed at
    // the hook's own line, as is the C-call limit reached in nested callbacks.
    [4, "runtime", "thrown", "Error: refused"],
    [5, "stack", "nested callbacks", "C stack overflow"],
    [6, "runtime", "inside a lualib helper", "attempt to get length of a nil value"],
  ] as const)("mode %i: a %s error", async (mode, kind, marker, text) => {
    const h = await loadHook(hook("faulty"));
    let error: unknown;
    try {
      h.runXdp(faulty(mode));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HookError);
    expect((error as HookError).kind).toBe(kind);
    expect((error as HookError).message.startsWith(where(marker))).toBe(true);
    expect((error as HookError).message).toContain(text);
    // The hook runs on after a failure, as the kernel's does.
    expect(h.runXdp(faulty(0)).actionName).toBe("pass");
  });

  test("mode 1: arithmetic past 32 bits is exact, as in the kernel (a 43-byte frame times 2^32)", async () => {
    expect((await loadHook(hook("faulty"))).runXdp(faulty(1)).actionName).toBe("tx");
  });
});

describe("tls and sock hooks", () => {
  test("recv returns a code and a file", async () => {
    const gate = await loadHook(hook("gate"));
    expect(gate.target).toBe("tls");
    expect(gate.runRecv("GET /private/x HTTP/1.1\r\n\r\n")).toEqual({ code: 403, file: "/errors/403.html" });
    expect(gate.runRecv("GET /public HTTP/1.1\r\n\r\n")).toEqual({ code: 0, file: undefined });
    expect(() => gate.runXdp(new Uint8Array(60))).toThrow(/'tls' hook, not 'xdp'/);
  });

  test("process lets a request through or refuses it", async () => {
    const getOnly = await loadHook(hook("getonly"));
    expect(getOnly.runProcess("GET / HTTP/1.1\r\n\r\n")).toBe(true);
    expect(getOnly.runProcess("DELETE / HTTP/1.1\r\n\r\n")).toBe(false);
    expect(getOnly.runProcess("GE")).toBe(false);
  });
});

test("a package on disk loads like its source, with its source map", async () => {
  const built = await buildEntry(hook("faulty"), { target: "xdp", minify: true });
  expect(built.ok).toBe(true);
  const pkg = built.package!;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kscript-pkg-"));
  try {
    writePackage(pkg, dir);
    const h = await loadHook(path.join(dir, `${pkg.name}.kscript.json`));
    expect(h.manifest.limits.instructions).toBe(pkg.manifest.limits.instructions);
    expect(h.runXdp(new Uint8Array(60)).actionName).toBe("pass");
    const outOfBounds = udpPacket({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 1, dstPort: 2, payload: Uint8Array.of(3) });
    // The map on disk names its sources relative to itself; the message still names the hook's file.
    const where = `${path.relative(process.cwd(), hook("faulty"))}:${lineOf("faulty", "out of bounds")}: `;
    expect(() => h.runXdp(outOfBounds)).toThrow(where);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
