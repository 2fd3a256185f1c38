/**
 * HTTPS file serving in the kernel VM, side by side in one run: kmod/servers/ktls-evserver (an event loop per
 * CPU) on kscript's tls.ko with the ktls-http router (made by `kscript init ktls-http`, built by the real
 * CLI, deployed and attached by name, decisions read with TLS_LUA_CMSG) against Debian's lighttpd and
 * nginx-light configured as their users would serve static files over TLS: a worker per VM CPU, sendfile,
 * keep-alive, their TLS session caches, nginx's open-file cache, no access logs (the kTLS server keeps
 * none). All serve the same files with the same ECDSA P-256 certificate and cipher (TLS 1.3 AES-128-GCM);
 * wrk (2 threads) measures 1 KB, 64 KB, 1 MB and 10 MB files at several connection counts, each server
 * twice per row in opposite orders (the better run kept: the machine is shared). Prints each
 * configuration, then requests/s, the kTLS server's ratios, and a perf profile of the guest under the
 * kTLS server and under lighttpd at 1 KB. Under qemu TCG (no KVM here) absolute
 * numbers are low; the ratios, measured in one run, are what this measures.
 *
 *   npm run bench:ktls [-- seconds-per-run]     (root: it boots the VM)
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { packageRoot } from "../common/paths.js";
import { VM_CACHE, VM_CPUS, bootVm, prepareVm } from "../vm/vm.js";
import type { BenchResult } from "./ktls-guest.js";

const seconds = Number(process.argv[2] ?? 5);
const bin = path.join(packageRoot, "bin", "kscript.js");
/**
 * Bytes, the run's length in units of `seconds` and wrk's connection counts: under TCG one 10 MB request
 * takes seconds, so big files get longer runs and fewer connections (each must finish several requests;
 * wrk's two threads need two at least).
 */
const SIZES: Record<string, { bytes: number; runs: number; connections: number[] }> = {
  "1k": { bytes: 1024, runs: 1, connections: [4, 16, 64] },
  "64k": { bytes: 64 << 10, runs: 1, connections: [4, 16, 64] },
  "1m": { bytes: 1 << 20, runs: 3, connections: [2, 8] },
  "10m": { bytes: 10 << 20, runs: 8, connections: [2, 4] },
};
/** Fewer requests than this in a run: its ratio is not worth reading. */
const FEW = 10;
const SERVERS = ["kTLS+Lua", "lighttpd", "nginx-light"];
const CIPHER = "TLS_AES_128_GCM_SHA256";

if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`seconds per run must be a positive number, not '${process.argv[2]}'`);
const image = await prepareVm();
// Under /tmp on the host: the guest sees the host's root, read-only.
const dir = fs.mkdtempSync("/tmp/kscript-bench-ktls-");
const site = path.join(dir, "site");
const run = (cmd: string, args: string[], cwd = dir) => execFileSync(cmd, args, { cwd, stdio: ["ignore", "ignore", "inherit"] });
run(process.execPath, [bin, "init", "ktls-http", site]);
for (const [name, size] of Object.entries(SIZES)) fs.writeFileSync(path.join(site, "www", `${name}.bin`), randomBytes(size.bytes));
run(process.execPath, ["scripts/files.mjs", "www", "src/files.ts"], site);
run(process.execPath, [bin, "build"], site);
run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
  "-keyout", "key.pem", "-out", "cert.pem", "-subj", "/CN=localhost", "-days", "2"]);
const www = path.join(site, "www");
const configs: Record<string, string> = {
  "kTLS+Lua": `ktls-evserver 8460 ${www} cert.pem key.pem --attach router --threads ${VM_CPUS} ` +
    "--priority NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM\n" +
    "(keep-alive, sendfile, cached open files; kscript deploy router; no session resumption: GnuTLS without tickets)\n",
  "lighttpd.conf": `server.document-root = "${www}"
server.bind = "127.0.0.1"
server.port = 8461
server.errorlog = "/run/lighttpd.err"
server.pid-file = "/run/lighttpd.pid"
server.upload-dirs = ("/run")
server.max-worker = ${VM_CPUS}
server.max-keep-alive-requests = 10000
server.max-keep-alive-idle = 60
server.network-backend = "sendfile"
server.stat-cache-engine = "simple"
server.modules += ("mod_openssl")
mimetype.assign = ("" => "application/octet-stream")
ssl.engine = "enable"
ssl.pemfile = "${dir}/cert.pem"
ssl.privkey = "${dir}/key.pem"
ssl.openssl.ssl-conf-cmd = ("MinProtocol" => "TLSv1.3", "Ciphersuites" => "${CIPHER}")
`,
  "nginx.conf": `daemon off;
user root;
worker_processes ${VM_CPUS};
pid /run/nginx.pid;
error_log /run/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 60s;
  keepalive_requests 10000;
  open_file_cache max=1000 inactive=60s;
  open_file_cache_valid 60s;
  default_type application/octet-stream;
  client_body_temp_path /run/nginx-body;
  proxy_temp_path /run/nginx-proxy;
  fastcgi_temp_path /run/nginx-fastcgi;
  uwsgi_temp_path /run/nginx-uwsgi;
  scgi_temp_path /run/nginx-scgi;
  server {
    listen 127.0.0.1:8462 ssl;
    ssl_certificate ${dir}/cert.pem;
    ssl_certificate_key ${dir}/key.pem;
    ssl_protocols TLSv1.3;
    ssl_conf_command Ciphersuites ${CIPHER};
    ssl_session_cache shared:SSL:10m;
    ssl_session_timeout 1h;
    root ${www};
  }
}
`,
};
fs.writeFileSync(path.join(dir, "lighttpd.conf"), configs["lighttpd.conf"]);
fs.writeFileSync(path.join(dir, "nginx.conf"), configs["nginx.conf"]);
for (const [name, text] of Object.entries(configs)) console.log(`--- ${name}\n${text}`);

const out = path.join(VM_CACHE, `bench-ktls-${process.pid}`);
fs.rmSync(out, { recursive: true, force: true });
const runner = path.join(packageRoot, "dist", "bench", "ktls-guest.js");
const sizes = Object.entries(SIZES).map(([name, s]) => `${name}=${s.runs}=${s.connections.join("/")}`).join(":");
const status = await bootVm(image, {
  runner,
  runnerArgs: [image.tlsKo, path.join(image.servers, "ktls-evserver"), site, dir, String(seconds), sizes, String(VM_CPUS)],
  cwd: dir,
  out,
  timeoutSeconds: 7200,
  console: "file",
});
fs.rmSync(dir, { recursive: true, force: true });
const reportFile = path.join(out, "bench-ktls.json");
if (!fs.existsSync(reportFile)) throw new Error(`the guest wrote no results (qemu ${status}); see ${out}/console.log`);
const report = JSON.parse(fs.readFileSync(reportFile, "utf8")) as {
  results?: BenchResult[]; error?: string; stats?: string; profiles?: Record<string, string>;
};
if (report.error || !report.results) throw new Error(`the benchmark failed in the guest: ${report.error}`);

const rate = (server: string, size: string, connections: number) =>
  report.results!.find((r) => r.server === server && r.size === size && r.connections === connections)!;
const pad = (s: string, n: number) => s.padStart(n);
console.log(`HTTPS file serving, ${CIPHER}, wrk -t2, ${seconds}s per run (×${Object.values(SIZES).map((s) => s.runs).join("/×")}), ` +
  `qemu TCG (${VM_CPUS} vCPUs), kernel ${image.kver}; each server twice per row, in opposite orders, the better run kept`);
console.log(`${"size".padEnd(6)}${pad("conns", 6)}${pad("kTLS+Lua", 11)}${pad("lighttpd", 11)}${pad("nginx", 11)}${pad("vs lighttpd", 13)}${pad("vs nginx", 10)}   (req/s)`);
let behind = 0;
let rows = 0;
for (const [size, { connections }] of Object.entries(SIZES)) {
  for (const c of connections) {
    const [k, l, n] = SERVERS.map((s) => rate(s, size, c));
    const few = [k, l, n].some((r) => r.requests < FEW);
    const vsL = k.requestsPerSecond / l.requestsPerSecond;
    const vsN = k.requestsPerSecond / n.requestsPerSecond;
    rows++;
    if (!few && (vsL < 1 || vsN < 1)) behind++;
    console.log(`${size.padEnd(6)}${pad(String(c), 6)}${pad(k.requestsPerSecond.toFixed(1), 11)}${pad(l.requestsPerSecond.toFixed(1), 11)}` +
      `${pad(n.requestsPerSecond.toFixed(1), 11)}${pad(`${vsL.toFixed(2)}x`, 13)}${pad(`${vsN.toFixed(2)}x`, 10)}` +
      (few ? `   (fewer than ${FEW} requests in a run: not compared)` : ""));
    for (const r of [k, l, n]) if (r.errors) console.log(`  ${r.server} ${size} c${c}: ${r.errors}`);
  }
}
console.log(report.stats?.trim() ?? "");
for (const [server, top] of Object.entries(report.profiles ?? {})) {
  console.log(`perf, whole guest, while wrk -t2 -c16 fetches 1k.bin from ${server} (overhead, command, object, symbol):\n${top}`);
}
console.log(behind ? `target missed: kTLS+Lua is slower than lighttpd or nginx in ${behind} of ${rows} rows`
  : "target met: kTLS+Lua no slower than lighttpd and nginx at any size and connection count");
