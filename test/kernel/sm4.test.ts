/**
 * SM4-GCM and SM4-CCM through kTLS in the kernel VM (sm4.suite.ts): for each mode and record version, the
 * records on the wire are the ones RFC 8998's SM4 AEADs make from the keys given (computed here by
 * test/helpers/sm4.ts, checked against RFC 8998's vectors), the receiver decrypts them and the ktls-http
 * router decides on the plaintext, the same bytes written raw decrypt alike, and a flipped tag bit fails.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { sm4Records, type Sm4Mode } from "../helpers/sm4.js";
import { SM4_CASES, SM4_REQUESTS, sm4Suite } from "./sm4.suite.js";
import { BAD_KERNEL_LOG } from "./session.js";
import { SESSION_WAIT_MS, ran, suiteRun, type SuiteRun } from "./results.js";

let run: SuiteRun | { skip: string } | undefined;
let output = "";

beforeAll(async () => {
  run = await suiteRun(sm4Suite.name);
  if (!("skip" in run)) output = run.log;
}, SESSION_WAIT_MS);

/** The output of the section whose header starts with `head`. */
function section(head: string): string {
  const start = output.indexOf(`== ${head}`);
  if (start < 0) return "";
  const end = output.indexOf("\n== ", start + 1);
  return output.slice(start, end < 0 ? undefined : end);
}

describe("SM4-GCM and SM4-CCM through kTLS in the kernel VM", () => {
  it("without the SM4 modules kTLS refuses SM4 keys; with them loaded it takes them", ({ skip }) => {
    ran(run, skip);
    expect(output).toMatch(/^tls-loaded$/m);
    const s = section("without sm4");
    expect(s, output).toMatch(/sm4-ktls: TLS_TX: No such file or directory\nexit=1/);
    expect(s).not.toMatch(/^wire /m);
    expect(output).toMatch(/^sm4-loaded$/m);
  });

  for (const c of SM4_CASES) {
    it(`${c.mode.toUpperCase()}, TLS ${c.version}: RFC 8998's records on the wire, decrypted for the hook to decide`, ({ skip }) => {
      ran(run, skip);
      const s = section(`${c.mode} ${c.version} `);
      expect(s, output).not.toBe("");
      const [key, salt, iv, recSeq] = s.split("\n")[0]!.split(" ").slice(3).map((h) => Buffer.from(h, "hex"));
      const wire = /^wire ([0-9a-f]+)$/m.exec(s)?.[1];
      expect(wire, s).toBeDefined();
      const plains = SM4_REQUESTS.slice(0, 2).map((r) => Buffer.from(r));
      expect(wire).toBe(sm4Records(c.mode as Sm4Mode, c.version, { key: key!, salt: salt!, iv: iv!, recSeq: recSeq! }, plains).toString("hex"));
      for (const p of plains) expect(wire).not.toContain(p.toString("hex"));
      // The GET spans two records: decided once both are decrypted, however many recvs that takes.
      expect(s).toMatch(/^request 1\+2 decided 200 '\/hello\.txt' after [12] recvs$/m);
      expect(s).toMatch(/^request 3 decided 404 '' after 1 recvs$/m);
      expect(s).toMatch(/^request 4 decided 400 '' after 1 recvs$/m);
      expect(s).toMatch(/^replayed decided 200 '\/hello\.txt' after [12] recvs$/m);
      expect(s).toMatch(/^tampered recv failed: EBADMSG$/m);
      expect(s).toMatch(/^exit=0$/m);
    });
  }

  it("the AEADs ran on the built SM4, every receiver decrypted on kTLS, and everything unloads", ({ skip }) => {
    ran(run, skip);
    const end = section("end");
    expect(end).toMatch(/^driver\s+: gcm_base\(ctr\(sm4-generic\),ghash-generic\)$/m);
    expect(end).toMatch(/^driver\s+: ccm_base\(ctr\(sm4-generic\),cbcmac\(sm4-generic\)\)$/m);
    // Three receivers per case (the first, the replayed bytes, the tampered ones); one tampered record each.
    expect(Number(/TlsRxSw\s+(\d+)/.exec(end)?.[1])).toBe(3 * SM4_CASES.length);
    expect(Number(/TlsTxSw\s+(\d+)/.exec(end)?.[1])).toBe(SM4_CASES.length);
    expect(Number(/TlsDecryptError\s+(\d+)/.exec(end)?.[1])).toBe(SM4_CASES.length);
    // The router's calls: each case's three requests and the replay; the tampered record never reached it.
    expect(end).toMatch(new RegExp(`^router\\s+${4 * SM4_CASES.length}\\s+0\\s`, "m"));
    expect(end).toMatch(/^tls-unloaded$/m);
    expect(end).toMatch(/^sm4-unloaded$/m);
    const bad = output.split("\n").filter((l) => BAD_KERNEL_LOG.test(l));
    expect(bad, bad.join("\n")).toEqual([]);
  });
});
