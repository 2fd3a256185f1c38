/**
 * kTLS end to end in the VM: kscript's tls.ko (Linux 6.1's net/tls + kmod/tls) loaded in place of Debian's,
 * kmod/servers/ktls-server doing the handshake with GnuTLS and handing the keys to the kernel, and the
 * ktls-http router — a project made by `kscript init ktls-http` and built by the real CLI — deciding in
 * recvmsg. curl fetches files over HTTPS with each cipher the kernel offers, in TLS 1.2 and 1.3: 200 with
 * the right bytes (over one kept-alive connection), 404, and 400 for junk; with the script deployed once
 * and attached by name (TLS_LUA_ATTACH) and with the seed's TLS_LUA_LOADSCRIPT + TLS_LUA_RECVENTRY.
 * Skips like vm.test.ts when the VM cannot run here.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../common/paths.js";
import { VmUnavailable, prepareVm } from "../../vm/vm.js";
import { BAD_KERNEL_LOG, vmSession } from "./session.js";

const bin = path.join(packageRoot, "bin", "kscript.js");
const required = process.env.KSCRIPT_REQUIRE_KERNEL === "1";

/** curl's options per cipher (OpenSSL names). SM4 is absent: Debian's 6.1 config has no CRYPTO_SM4. */
const KTLS_CIPHERS: { name: string; curl: string }[] = [
  { name: "TLS 1.2 AES-128-GCM", curl: "--tlsv1.2 --tls-max 1.2 --ciphers ECDHE-ECDSA-AES128-GCM-SHA256" },
  { name: "TLS 1.2 AES-256-GCM", curl: "--tlsv1.2 --tls-max 1.2 --ciphers ECDHE-ECDSA-AES256-GCM-SHA384" },
  { name: "TLS 1.2 CHACHA20-POLY1305", curl: "--tlsv1.2 --tls-max 1.2 --ciphers ECDHE-ECDSA-CHACHA20-POLY1305" },
  { name: "TLS 1.3 AES-128-GCM", curl: "--tlsv1.3 --tls13-ciphers TLS_AES_128_GCM_SHA256" },
  { name: "TLS 1.3 AES-256-GCM", curl: "--tlsv1.3 --tls13-ciphers TLS_AES_256_GCM_SHA384" },
  { name: "TLS 1.3 CHACHA20-POLY1305", curl: "--tlsv1.3 --tls13-ciphers TLS_CHACHA20_POLY1305_SHA256" },
];
const MODES = [
  { name: "attached by name", port: 8443, args: "--attach router" },
  { name: "seed LOADSCRIPT", port: 8444, args: "--script dist/router.lua --entry recv" },
];

let skipReason: string | undefined;
let tlsKo = "";
let server = "";
let site = "";
let certs = "";
let output = "";

afterAll(() => {
  if (certs) rmSync(certs, { recursive: true, force: true });
});

beforeAll(() => {
  try {
    const image = prepareVm();
    tlsKo = image.tlsKo;
    server = path.join(image.servers, "ktls-server");
  } catch (error) {
    if (!(error instanceof VmUnavailable)) throw error;
    if (required) throw new Error(`KSCRIPT_REQUIRE_KERNEL=1 but the kernel tests cannot run: ${error.message}`);
    skipReason = error.message;
    return;
  }
  // Under /tmp on the host: the guest sees the host's root, read-only.
  const dir = mkdtempSync("/tmp/kscript-ktls-");
  site = path.join(dir, "site");
  certs = dir;
  const run = (cmd: string, args: string[], cwd = dir) => {
    const r = spawnSync(cmd, args, { cwd, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stdout}${r.stderr}`);
  };
  run(process.execPath, [bin, "init", "ktls-http", site]);
  // Bigger than one TLS record, so sendfile spans many.
  writeFileSync(path.join(site, "www", "data.bin"), randomBytes(300_000));
  run(process.execPath, ["scripts/files.mjs", "www", "src/files.ts"], site);
  run(process.execPath, [bin, "build"], site);
  run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", "key.pem", "-out", "cert.pem", "-subj", "/CN=localhost", "-days", "2"]);
}, 600_000);

/** The shell commands for one cipher against one server: a kept-alive GET of two files and a 404, then junk. */
function requests(port: number, curl: string): string[] {
  const url = (p: string) => `https://127.0.0.1:${port}${p}`;
  const opts = `-sk ${curl} -w 'code=%{http_code}\\n'`;
  return [
    `curl -v ${opts} ${url("/hello.txt")} -o /run/h ${url("/data.bin")} -o /run/d ${url("/missing.txt")} -o /dev/null 2>/run/v; echo "curl=$?"`,
    `grep -o 'SSL connection using .*' /run/v; echo "handshakes=$(grep -c 'SSL connection using' /run/v)"`,
    "cmp /run/h www/hello.txt && cmp /run/d www/data.bin && echo same-bytes",
    `curl ${opts} -o /dev/null -X 'G E T' ${url("/hello.txt")} --next ${opts} -o /dev/null --request-target '/../etc/passwd' ${url("/x")}; echo "curl=$?"`,
  ];
}

function section(mode: string, cipher: string): string {
  const start = output.indexOf(cipher ? `== ${mode} / ${cipher}\n` : `== ${mode}\n`);
  if (start < 0) return "";
  const end = output.indexOf("\n== ", start + 1);
  return output.slice(start, end < 0 ? undefined : end);
}

describe("kTLS with the ktls-http hook in the kernel VM", () => {
  beforeAll(async () => {
    if (skipReason) return;
    const lines = [`kscript() { ${process.execPath} ${bin} "$@"; }`, "ip link set lo up", `busybox insmod ${tlsKo} && echo tls-loaded`, "kscript deploy dist/router.kscript.json"];
    for (const mode of MODES) {
      lines.push(
        `${server} ${mode.port} www ${certs}/cert.pem ${certs}/key.pem ${mode.args} >/run/ready 2>/run/server.log & P=$!`,
        "for i in $(seq 100); do grep -q listening /run/ready && break; sleep 0.2; done",
      );
      for (const c of KTLS_CIPHERS) lines.push(`echo '== ${mode.name} / ${c.name}'`, ...requests(mode.port, c.curl));
      lines.push(`echo '== ${mode.name} / end'`, "kill $P; wait $P", "cat /run/server.log");
    }
    // A script that raises: the request passes through to the server, TLS_LUA_ERRNO says TLS_LUA_RECVERR.
    lines.push(
      "echo '== failing script'",
      "echo 'function recv(m) error(\"boom\") end' >/run/boom.lua",
      `${server} 8445 www ${certs}/cert.pem ${certs}/key.pem --script /run/boom.lua >/run/ready 2>/run/server.log & P=$!`,
      "for i in $(seq 100); do grep -q listening /run/ready && break; sleep 0.2; done",
      `curl -sk -o /dev/null -w 'code=%{http_code}\\n' https://127.0.0.1:8445/hello.txt`,
      "kill $P; wait $P",
      "cat /run/server.log",
    );
    lines.push("echo '== end'", "kscript stats router", "grep -E 'TlsCurr|TlsRxSw|TlsTxSw' /proc/net/tls_stat",
      "busybox rmmod tls && echo tls-unloaded", "dmesg | grep -iE 'tls|kscript' | tail -20");
    // One typed command: the console echoes typed input, which would interleave with the output.
    writeFileSync(path.join(certs, "run.sh"), lines.join("\n") + "\n");
    output = await vmSession(site, [`sh ${certs}/run.sh 2>&1`], 900_000);
  }, 1_000_000);

  it("loads tls.ko over kscript.ko and deploys the router", ({ skip }) => {
    if (skipReason) skip(skipReason);
    expect(output).toMatch(/\ntls-loaded\n/);
    expect(output).toMatch(/\ndeployed 'router' \(tls, \d+ bytes\)\n/);
  });

  for (const mode of MODES) {
    for (const c of KTLS_CIPHERS) {
      it(`${mode.name}, ${c.name}: 200 with the right bytes, 404, 400 for junk`, ({ skip }) => {
        if (skipReason) skip(skipReason);
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

  it("a failing script lets the request through with TLS_LUA_RECVERR, and the server refuses it", ({ skip }) => {
    if (skipReason) skip(skipReason);
    const s = section("failing script", "");
    expect(s).toMatch(/code=500\n/);
    expect(s).toContain("ktls-server: request passed through (script error)");
  });

  it("every connection ran on kTLS with the hook deciding, and the deployed script counted its calls", ({ skip }) => {
    if (skipReason) skip(skipReason);
    for (const mode of MODES) expect(section(mode.name, "end")).not.toMatch(/passed through|kTLS setup|script:/);
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
