/**
 * HTTPS file serving in the kernel VM, side by side in one run: kmod/servers/ktls-server on kscript's
 * tls.ko with the ktls-http router (made by `kscript init ktls-http`, built by the real CLI, deployed and
 * attached by name) against Debian's lighttpd and nginx-light, all on the same files, the same ECDSA
 * P-256 certificate and the same cipher (TLS 1.3, AES-128-GCM), measured with wrk (2 threads, 8
 * connections; seconds per run ×1, ×2, ×6) for 1 KB, 1 MB and 10 MB files. Prints requests/s and the kTLS server's ratios.
 * Target: no slower than lighttpd at any size. Under qemu TCG (no KVM here) absolute numbers are low;
 * the ratios are what this measures.
 *
 *   npm run bench:ktls [-- seconds-per-run]     (root: it boots the VM)
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { packageRoot } from "../common/paths.js";
import { VM_CACHE, bootVm, prepareVm } from "../vm/vm.js";
import type { BenchResult } from "./ktls-guest.js";

const seconds = Number(process.argv[2] ?? 5);
const bin = path.join(packageRoot, "bin", "kscript.js");
const SIZES: Record<string, number> = { "1k": 1024, "1m": 1 << 20, "10m": 10 << 20 };
const CIPHER = "TLS_AES_128_GCM_SHA256";

const image = await prepareVm();
// Under /tmp on the host: the guest sees the host's root, read-only.
const dir = fs.mkdtempSync("/tmp/kscript-bench-ktls-");
const site = path.join(dir, "site");
const run = (cmd: string, args: string[], cwd = dir) => execFileSync(cmd, args, { cwd, stdio: ["ignore", "ignore", "inherit"] });
run(process.execPath, [bin, "init", "ktls-http", site]);
for (const [name, size] of Object.entries(SIZES)) fs.writeFileSync(path.join(site, "www", `${name}.bin`), randomBytes(size));
run(process.execPath, ["scripts/files.mjs", "www", "src/files.ts"], site);
run(process.execPath, [bin, "build"], site);
run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
  "-keyout", "key.pem", "-out", "cert.pem", "-subj", "/CN=localhost", "-days", "2"]);
const www = path.join(site, "www");
fs.writeFileSync(path.join(dir, "lighttpd.conf"), `server.document-root = "${www}"
server.bind = "127.0.0.1"
server.port = 8461
server.errorlog = "/run/lighttpd.err"
server.pid-file = "/run/lighttpd.pid"
server.upload-dirs = ("/run")
server.modules += ("mod_openssl")
mimetype.assign = ("" => "application/octet-stream")
ssl.engine = "enable"
ssl.pemfile = "${dir}/cert.pem"
ssl.privkey = "${dir}/key.pem"
ssl.openssl.ssl-conf-cmd = ("MinProtocol" => "TLSv1.3", "Ciphersuites" => "${CIPHER}")
`);
fs.writeFileSync(path.join(dir, "nginx.conf"), `daemon off;
user root;
worker_processes auto;
pid /run/nginx.pid;
error_log /run/nginx.err;
events { worker_connections 256; }
http {
  access_log off;
  sendfile on;
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
    root ${www};
  }
}
`);

const out = path.join(VM_CACHE, `bench-ktls-${process.pid}`);
fs.rmSync(out, { recursive: true, force: true });
const runner = path.join(packageRoot, "dist", "bench", "ktls-guest.js");
const status = await bootVm(image, {
  runner,
  runnerArgs: [image.tlsKo, path.join(image.servers, "ktls-server"), site, dir, String(seconds)],
  cwd: dir,
  out,
  timeoutSeconds: 1800,
  console: "file",
});
fs.rmSync(dir, { recursive: true, force: true });
const reportFile = path.join(out, "bench-ktls.json");
if (!fs.existsSync(reportFile)) throw new Error(`the guest wrote no results (qemu ${status}); see ${out}/console.log`);
const report = JSON.parse(fs.readFileSync(reportFile, "utf8")) as { results?: BenchResult[]; error?: string; stats?: string };
if (report.error || !report.results) throw new Error(`the benchmark failed in the guest: ${report.error}`);

const rate = (server: string, size: string) => report.results!.find((r) => r.server === server && r.size === size)!;
const pad = (s: string, n: number) => s.padStart(n);
console.log(`HTTPS file serving, ${CIPHER}, wrk -t2 -c8 -d${seconds}s/${seconds * 2}s/${seconds * 6}s, qemu TCG (2 vCPUs), kernel ${image.kver}`);
console.log(`${"size".padEnd(6)}${pad("kTLS+Lua req/s", 16)}${pad("lighttpd req/s", 16)}${pad("nginx req/s", 14)}${pad("vs lighttpd", 13)}${pad("vs nginx", 10)}`);
let behind = 0;
for (const size of Object.keys(SIZES)) {
  const k = rate("kTLS+Lua", size);
  const l = rate("lighttpd", size);
  const n = rate("nginx-light", size);
  const vsL = k.requestsPerSecond / l.requestsPerSecond;
  if (vsL < 1) behind++;
  console.log(`${size.padEnd(6)}${pad(k.requestsPerSecond.toFixed(1), 16)}${pad(l.requestsPerSecond.toFixed(1), 16)}${pad(n.requestsPerSecond.toFixed(1), 14)}` +
    `${pad(`${vsL.toFixed(2)}x`, 13)}${pad(`${(k.requestsPerSecond / n.requestsPerSecond).toFixed(2)}x`, 10)}`);
  for (const r of [k, l, n]) if (r.errors) console.log(`  ${r.server} ${size}: ${r.errors}`);
}
console.log(report.stats?.trim() ?? "");
console.log(behind ? `target missed: kTLS+Lua is slower than lighttpd at ${behind} size(s)` : "target met: kTLS+Lua no slower than lighttpd at any size");
