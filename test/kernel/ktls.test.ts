/**
 * kTLS with the ktls-http hook in the kernel VM (ktls.suite.ts): for each cipher, both ways of giving the
 * socket its script and both ways of reading the decision (EAGAIN + getsockopt, or TLS_LUA_CMSG on blocking
 * and non-blocking sockets), 200 with the right bytes over one kept-alive connection, 404, and 400 for junk;
 * the event loop's cached files follow changes; a failing script given as text fails the recv with
 * TLS_LUA_RECVERR; a server written as the original's own behaves as on the original kernel.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { KTLS_CIPHERS, MODES, ORIGINAL_REQUESTS, ktlsSuite } from "./ktls.suite.js";
import { BAD_KERNEL_LOG } from "./session.js";
import { SESSION_WAIT_MS, ran, suiteRun, type SuiteRun } from "./results.js";

let run: SuiteRun | { skip: string } | undefined;
let output = "";

beforeAll(async () => {
  run = await suiteRun(ktlsSuite.name);
  if (!("skip" in run)) output = run.log;
}, SESSION_WAIT_MS);

function section(mode: string, cipher: string): string {
  const start = output.indexOf(cipher ? `== ${mode} / ${cipher}\n` : `== ${mode}\n`);
  if (start < 0) return "";
  const end = output.indexOf("\n== ", start + 1);
  return output.slice(start, end < 0 ? undefined : end);
}

describe("kTLS with the ktls-http hook in the kernel VM", () => {
  it("loads tls.ko over kscript.ko and deploys the router", ({ skip }) => {
    ran(run, skip);
    expect(output).toMatch(/^tls-loaded$/m);
    expect(output).toMatch(/^deployed 'router' \(tls, \d+ bytes\)$/m);
  });

  for (const mode of MODES) {
    for (const c of KTLS_CIPHERS) {
      it(`${mode.name}, ${c.name}: 200 with the right bytes, 404, 400 for junk`, ({ skip }) => {
        ran(run, skip);
        const s = section(mode.name, c.name);
        expect(s, output).not.toBe("");
        // One connection: the 200s and the 404 kept it alive.
        expect(s).toMatch(/code=200\ncode=200\ncode=404\ncurl=0/);
        expect(s).toMatch(/handshakes=1\n/);
        expect(s).toContain("same-bytes");
        expect(s).toMatch(/code=400\ncode=400\ncurl=0/);
        const version = c.name.startsWith("TLS 1.3") ? "TLSv1.3" : "TLSv1.2";
        const openssl = /--(?:tls13-)?ciphers (\S+)/.exec(c.curl)![1];
        expect(s).toContain(`SSL connection using ${version} / ${openssl}`);
      });
    }
  }

  it("a client leaving mid-request leaves nothing for the next connection: its state is made anew", ({ skip }) => {
    ran(run, skip);
    const s = section("connection left mid-request", "");
    expect(s, output).toContain("s_client=0");
    expect(s).toContain("next-client-own-file");
  });

  it("the event loop's cached descriptors follow a file rewritten in place and one renamed over it", ({ skip }) => {
    ran(run, skip);
    const s = section("file cache", "");
    expect(s, output).toContain("cached-same");
    expect(s).toContain("rewritten-same");
    expect(s).toContain("renamed-same");
    expect(s).not.toMatch(/passed through|kTLS setup/);
  });

  it("a failing script given as text fails the recv with EAGAIN and TLS_LUA_RECVERR, and the server refuses it", ({ skip }) => {
    ran(run, skip);
    const s = section("failing script", "");
    expect(s).toMatch(/code=500\n/);
    expect(s).toContain("ktls-server: request failed (script error)");
  });

  it("a server written as the original's own: one optlen kept across requests, a 404 between 200s, raising and ill-typed hooks", ({ skip }) => {
    ran(run, skip);
    const s = section("original server", "");
    expect(s, output).not.toBe("");
    // Each request: the status curl saw, and what the server read with its never-reset length variables.
    const seen = [...s.matchAll(/^request (\S+): (\d+)$/gm)].map((m) => [m[1], m[2]]);
    expect(seen).toEqual(ORIGINAL_REQUESTS.map((r) => [r.path, r.code]));
    const logged = s.split("\n").filter((l) => /^(code |recv lua err|request passed)/.test(l));
    expect(logged).toEqual(ORIGINAL_REQUESTS.map((r) => r.log));
    for (const r of ORIGINAL_REQUESTS.filter((r) => r.code === "200")) expect(s).toContain(`same bytes ${r.path}`);
    // A chunk that does not compile and one that raises: the original's ECANCELED.
    expect(s).toContain("syntax error: Operation canceled\nraising chunk: Operation canceled");
    // Every chunk ran once per connection: the hook's top-level print, once each.
    expect(s).toMatch(new RegExp(`^hook loaded: ${ORIGINAL_REQUESTS.length}$`, "m"));
  });

  it("every connection ran on kTLS with the hook deciding, and the deployed script counted its calls", ({ skip }) => {
    ran(run, skip);
    for (const mode of MODES) expect(section(mode.name, "end")).not.toMatch(/passed through|kTLS setup|script:|TLS_LUA_CMSG:/);
    const stat = /TlsRxSw\s+(\d+)/.exec(output);
    expect(Number(stat?.[1])).toBeGreaterThanOrEqual(MODES.length * KTLS_CIPHERS.length * 3);
    // The attached connections' requests were the deployed router's calls.
    const calls = /\nrouter\s+(\d+)\s+(\d+)/.exec(output);
    expect(Number(calls?.[1])).toBeGreaterThanOrEqual(KTLS_CIPHERS.length * 5);
    expect(Number(calls?.[2])).toBe(0);
    expect(output).toMatch(/\ntls-unloaded\n/);
    const bad = output.split("\n").filter((l) => BAD_KERNEL_LOG.test(l));
    expect(bad, bad.join("\n")).toEqual([]);
  });
});
