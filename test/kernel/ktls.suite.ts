/**
 * kTLS end to end: kscript's tls.ko (Linux 6.1's net/tls + kmod/tls) loaded in place of Debian's,
 * kmod/servers/ktls-server doing the handshake with GnuTLS and handing the keys to the kernel, and the
 * ktls-http router — a project made by `kscript init ktls-http` and built by the real CLI — deciding in
 * recvmsg. curl fetches files over HTTPS with each cipher the kernel offers, in TLS 1.2 and 1.3, with the
 * script deployed once and attached by name (TLS_LUA_ATTACH) and with the original's TLS_LUA_LOADSCRIPT +
 * TLS_LUA_RECVENTRY; then a script that raises.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { WAIT_HELPERS, type Suite } from "./session.js";

export /** curl's options per cipher (OpenSSL names). SM4 is absent: Debian's 6.1 config has no CRYPTO_SM4. */
const KTLS_CIPHERS: { name: string; curl: string }[] = [
  { name: "TLS 1.2 AES-128-GCM", curl: "--tlsv1.2 --tls-max 1.2 --ciphers ECDHE-ECDSA-AES128-GCM-SHA256" },
  { name: "TLS 1.2 AES-256-GCM", curl: "--tlsv1.2 --tls-max 1.2 --ciphers ECDHE-ECDSA-AES256-GCM-SHA384" },
  { name: "TLS 1.2 CHACHA20-POLY1305", curl: "--tlsv1.2 --tls-max 1.2 --ciphers ECDHE-ECDSA-CHACHA20-POLY1305" },
  { name: "TLS 1.3 AES-128-GCM", curl: "--tlsv1.3 --tls13-ciphers TLS_AES_128_GCM_SHA256" },
  { name: "TLS 1.3 AES-256-GCM", curl: "--tlsv1.3 --tls13-ciphers TLS_AES_256_GCM_SHA384" },
  { name: "TLS 1.3 CHACHA20-POLY1305", curl: "--tlsv1.3 --tls13-ciphers TLS_CHACHA20_POLY1305_SHA256" },
];
export const MODES = [
  { name: "attached by name", port: 8443, args: "--attach router" },
  { name: "original LOADSCRIPT", port: 8444, args: "--script dist/router.lua --entry recv" },
];

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

export const ktlsSuite: Suite = {
  name: "ktls",
  lane: "b",
  async prepare({ image, work, kscript }) {
    const site = path.join(work, "site");
    const server = path.join(image.servers, "ktls-server");
    await kscript(["init", "ktls-http", site]);
    // Bigger than one TLS record, so sendfile spans many.
    writeFileSync(path.join(site, "www", "data.bin"), randomBytes(300_000));
    const run = (cmd: string, args: string[], cwd: string) => {
      const r = spawnSync(cmd, args, { cwd, encoding: "utf8" });
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stdout}${r.stderr}`);
    };
    run(process.execPath, ["scripts/files.mjs", "www", "src/files.ts"], site);
    await kscript(["build"], site);
    run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", "key.pem", "-out", "cert.pem", "-subj", "/CN=localhost", "-days", "2"], work);
    const lines = [WAIT_HELPERS, "ip link set lo up", `busybox insmod ${image.tlsKo} && echo tls-loaded`, "kscript deploy dist/router.kscript.json"];
    for (const mode of MODES) {
      lines.push(
        `${server} ${mode.port} www ${work}/cert.pem ${work}/key.pem ${mode.args} >/run/ready 2>/run/server.log & P=$!`,
        `listening ${mode.port} $P`,
      );
      for (const c of KTLS_CIPHERS) lines.push(`echo '== ${mode.name} / ${c.name}'`, ...requests(mode.port, c.curl));
      lines.push(`echo '== ${mode.name} / end'`, "kill $P; wait $P", "cat /run/server.log");
    }
    // A script that raises: the request passes through to the server, TLS_LUA_ERRNO says TLS_LUA_RECVERR.
    lines.push(
      "echo '== failing script'",
      "echo 'function recv(m) error(\"boom\") end' >/run/boom.lua",
      `${server} 8445 www ${work}/cert.pem ${work}/key.pem --script /run/boom.lua >/run/ready 2>/run/server.log & P=$!`,
      "listening 8445 $P",
      `curl -sk -o /dev/null -w 'code=%{http_code}\\n' https://127.0.0.1:8445/hello.txt`,
      "kill $P; wait $P",
      "cat /run/server.log",
    );
    lines.push("echo '== end'", "kscript stats router", "grep -E 'TlsCurr|TlsRxSw|TlsTxSw' /proc/net/tls_stat",
      "busybox rmmod tls && echo tls-unloaded", "kscript unload router", "dmesg | grep -iE 'tls|kscript' | tail -20");
    return { cwd: site, script: lines.join("\n") + "\n" };
  },
};
