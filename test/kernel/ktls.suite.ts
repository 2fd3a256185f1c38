/**
 * kTLS end to end: kscript's tls.ko (Linux 6.1's net/tls + kmod/tls) loaded in place of Debian's,
 * kmod/servers/ktls-server and ktls-evserver doing the handshake with GnuTLS and handing the keys to the
 * kernel, and the ktls-http router — a project made by `kscript init ktls-http` and built by the real CLI —
 * deciding in recvmsg. curl fetches files over HTTPS with each cipher the kernel offers, in TLS 1.2 and 1.3:
 * with the script deployed once and attached by name (TLS_LUA_ATTACH), with the original's
 * TLS_LUA_LOADSCRIPT + TLS_LUA_RECVENTRY, with the decision as a control message (TLS_LUA_CMSG) on a
 * blocking socket, and from the event loop on non-blocking ones. Then the event loop's file cache across
 * changes, a script that raises, and ktls-original: a server written the way the original kTLS project's
 * own server is (one process, one request per connection, one optlen variable kept across them all).
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { WAIT_HELPERS, type Suite } from "./session.js";

/**
 * curl's options per cipher (OpenSSL names). SM4 has no handshake in Debian's TLS libraries: the sm4 suite
 * sets its keys directly (sm4.suite.ts).
 */
export const KTLS_CIPHERS: { name: string; curl: string }[] = [
  { name: "TLS 1.2 AES-128-GCM", curl: "--tlsv1.2 --tls-max 1.2 --ciphers ECDHE-ECDSA-AES128-GCM-SHA256" },
  { name: "TLS 1.2 AES-256-GCM", curl: "--tlsv1.2 --tls-max 1.2 --ciphers ECDHE-ECDSA-AES256-GCM-SHA384" },
  { name: "TLS 1.2 CHACHA20-POLY1305", curl: "--tlsv1.2 --tls-max 1.2 --ciphers ECDHE-ECDSA-CHACHA20-POLY1305" },
  { name: "TLS 1.3 AES-128-GCM", curl: "--tlsv1.3 --tls13-ciphers TLS_AES_128_GCM_SHA256" },
  { name: "TLS 1.3 AES-256-GCM", curl: "--tlsv1.3 --tls13-ciphers TLS_AES_256_GCM_SHA384" },
  { name: "TLS 1.3 CHACHA20-POLY1305", curl: "--tlsv1.3 --tls13-ciphers TLS_CHACHA20_POLY1305_SHA256" },
];
export const MODES = [
  { name: "attached by name", port: 8443, server: "ktls-server", args: "--attach router" },
  { name: "original LOADSCRIPT", port: 8444, server: "ktls-server", args: "--script dist/router.lua --entry recv" },
  { name: "TLS_LUA_CMSG, blocking", port: 8446, server: "ktls-server", args: "--cmsg --attach router" },
  { name: "event loop, non-blocking", port: 8447, server: "ktls-evserver", args: "--attach router --threads 2" },
];

/** The original's way: the hook buffers until the end of the headers (letting the bytes through), then decides. */
export const ORIGINAL_HOOK = String.raw`files = {}
buf = ''
function recv(m)
  buf = buf .. m
  if string.sub(buf, -4) ~= '\r\n\r\n' then return 0, '' end
  local name = string.match(buf, '^GET /(%S*) ')
  buf = ''
  if name == 'boom' then error('boom') end
  if name == 'nilcode' then return nil, 'a.txt' end
  if name == 'nofile' then return 200 end
  if files[name] then return 200, name end
  return 404, ''
end
print('hook loaded')
`;
/** ktls-original's requests, one connection each, and what the server must print for each. */
export const ORIGINAL_REQUESTS: { path: string; log: string; code: string }[] = [
  { path: "a.txt", log: "code 200 file 'a.txt' intlen 4 maxpath 4096", code: "200" },
  { path: "missing.txt", log: "code 404 file '' intlen 4 maxpath 4096", code: "404" },
  { path: "b.txt", log: "code 200 file 'b.txt' intlen 4 maxpath 4096", code: "200" },
  { path: "boom", log: "recv lua err", code: "000" },
  { path: "nilcode", log: "recv lua err", code: "000" },
  { path: "nofile", log: "recv lua err", code: "000" },
  { path: "a.txt", log: "code 200 file 'a.txt' intlen 4 maxpath 4096", code: "200" },
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
  async prepare({ image: built, work, kscript }) {
    const site = path.join(work, "site");
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
    const image = await built;
    const server = (name: string) => path.join(image.servers, name);
    const lines = [WAIT_HELPERS, "ip link set lo up", `busybox insmod ${image.tlsKo} && echo tls-loaded`, "kscript deploy dist/router.kscript.json"];
    for (const mode of MODES) {
      lines.push(
        `${server(mode.server)} ${mode.port} www ${work}/cert.pem ${work}/key.pem ${mode.args} >/run/ready 2>/run/server.log & P=$!`,
        `listening ${mode.port} $P`,
      );
      for (const c of KTLS_CIPHERS) lines.push(`echo '== ${mode.name} / ${c.name}'`, ...requests(mode.port, c.curl));
      lines.push(`echo '== ${mode.name} / end'`, "kill $P; wait $P", "cat /run/server.log");
    }
    // A client that leaves mid-request: the next connection gets a state of its own, made anew, so the
    // partial request the router kept is not read as the start of the next client's (it would get data.bin).
    lines.push(
      "echo '== connection left mid-request'",
      `${server("ktls-server")} 8450 www ${work}/cert.pem ${work}/key.pem --attach router >/run/ready 2>/run/server.log & P=$!`,
      "listening 8450 $P",
      "(printf 'GET /data.bin HTTP/1.1\\r\\nHost: a\\r\\nX-Rest: '; sleep 2) | openssl s_client -connect 127.0.0.1:8450 -servername localhost >/dev/null 2>&1; echo \"s_client=$?\"",
      "sleep 1",
      "curl -sk https://127.0.0.1:8450/hello.txt -o /run/next; cmp /run/next www/hello.txt && echo next-client-own-file",
      "kill $P; wait $P",
      "cat /run/server.log",
    );
    // The event loop's cached descriptors follow the files: rewritten in place, replaced by a rename (in a
    // writable copy of www: the guest sees the host's files read-only).
    const hello = "https://127.0.0.1:8448/hello.txt";
    const fetch = (out: string, check: string, said: string) =>
      `curl -sk ${hello} -o ${out}; cmp ${out} /run/www/hello.txt && ${check} && echo ${said}`;
    lines.push(
      "echo '== file cache'",
      "rm -rf /run/www && cp -r www /run/www",
      `${server("ktls-evserver")} 8448 /run/www ${work}/cert.pem ${work}/key.pem --attach router --threads 1 >/run/ready 2>/run/server.log & P=$!`,
      "listening 8448 $P",
      `curl -sk ${hello} -o /run/c1 ${hello} -o /run/c2; cmp /run/c1 www/hello.txt && cmp /run/c2 www/hello.txt && echo cached-same`,
      "echo 'rewritten in place' >/run/www/hello.txt",
      fetch("/run/c3", "grep -qx 'rewritten in place' /run/c3", "rewritten-same"),
      "echo 'renamed over it, longer than before' >/run/www/.hello.new && mv /run/www/.hello.new /run/www/hello.txt",
      fetch("/run/c4", "grep -qx 'renamed over it, longer than before' /run/c4", "renamed-same"),
      "kill $P; wait $P",
      "cat /run/server.log",
    );
    // A script given as text that raises: the recv fails with EAGAIN and TLS_LUA_RECVERR, as in the original.
    lines.push(
      "echo '== failing script'",
      "echo 'function recv(m) error(\"boom\") end' >/run/boom.lua",
      `${server("ktls-server")} 8445 www ${work}/cert.pem ${work}/key.pem --script /run/boom.lua >/run/ready 2>/run/server.log & P=$!`,
      "listening 8445 $P",
      `curl -sk -o /dev/null -w 'code=%{http_code}\\n' https://127.0.0.1:8445/hello.txt`,
      "kill $P; wait $P",
      "cat /run/server.log",
    );
    // The original project's way of serving, unmodified in what it asks of the kernel.
    lines.push(
      "echo '== original server'",
      "mkdir -p /run/orig && echo 'first file' >/run/orig/a.txt && head -c 20000 /dev/urandom >/run/orig/b.txt",
      `cat >/run/hook.lua <<'EOF'\n${ORIGINAL_HOOK}EOF`,
      "before=$(dmesg | grep -c 'kscript: tls: hook loaded')",
      `${server("ktls-original")} 8449 /run/orig ${work}/cert.pem ${work}/key.pem /run/hook.lua >/run/orig.log 2>&1 & P=$!`,
      "listening 8449 $P",
    );
    for (const r of ORIGINAL_REQUESTS) {
      lines.push(`echo "request ${r.path}: $(curl -sk -o /run/o -w '%{http_code}' https://127.0.0.1:8449/${r.path})"`);
      if (r.code === "200") lines.push(`cmp /run/o /run/orig/${r.path} && echo 'same bytes ${r.path}'`);
    }
    lines.push(
      "kill $P; wait $P",
      "cat /run/orig.log",
      "echo \"hook loaded: $(( $(dmesg | grep -c 'kscript: tls: hook loaded') - before ))\"",
    );
    lines.push("echo '== end'", "kscript stats router", "grep -E 'TlsCurr|TlsRxSw|TlsTxSw' /proc/net/tls_stat",
      "busybox rmmod tls && echo tls-unloaded", "kscript unload router", "dmesg | grep -iE 'tls|kscript' | tail -20");
    return { cwd: site, script: lines.join("\n") + "\n" };
  },
};
