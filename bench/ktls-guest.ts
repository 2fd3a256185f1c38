/**
 * The guest half of bench/ktls.ts, run by the VM's init with the host's Node once kscript.ko is loaded:
 * loads kscript's tls.ko, deploys the ktls-http router with the real CLI, starts the kTLS server (attached
 * by name), lighttpd and nginx on the same files, certificate and cipher, checks that each serves every file
 * with the right length, then runs wrk against each, one after another, and writes bench-ktls.json.
 *
 *   node ktls-guest.js OUT TLS_KO KTLS_SERVER SITE CONF_DIR SECONDS
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const [out, tlsKo, ktlsServer, site, conf, secondsArg] = process.argv.slice(2);
const seconds = Number(secondsArg ?? 5);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const kscript = path.join(repo, "bin", "kscript.js");

/** Bigger files run longer: under TCG one 10 MB request takes seconds. */
const SIZES = { "1k": 1, "1m": 2, "10m": 6 } as const;
const SERVERS = [
  { name: "kTLS+Lua", port: 8460 },
  { name: "lighttpd", port: 8461 },
  { name: "nginx-light", port: 8462 },
] as const;

export interface BenchResult {
  server: string;
  size: string;
  requestsPerSecond: number;
  transferPerSecond: string;
  errors: string;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 600_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}): ${r.stdout}${r.stderr}`);
  return r.stdout;
}

function start(cmd: string, args: string[], log: string): ChildProcess {
  const fd = fs.openSync(path.join("/run", log), "w");
  const child = spawn(cmd, args, { stdio: ["ignore", fd, fd] });
  child.on("error", (error) => fs.writeSync(fd, `${cmd}: ${error.message}\n`));
  return child;
}

/** Waits until curl gets the file over HTTPS with its full length. */
async function ready(port: number, size: string): Promise<void> {
  const want = fs.statSync(path.join(site, "www", `${size}.bin`)).size;
  let last = "";
  for (let i = 0; i < 100; i++) {
    const r = spawnSync("curl", ["-sk", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", `https://127.0.0.1:${port}/${size}.bin`], {
      encoding: "utf8",
    });
    last = r.stdout;
    if (last === `200 ${want}`) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`port ${port} does not serve ${size}.bin (${want} bytes): last answer '${last}'`);
}

function wrk(port: number, size: keyof typeof SIZES): { rps: number; transfer: string; errors: string } {
  const text = run("wrk", ["-t2", "-c8", `-d${seconds * SIZES[size]}s`, "--timeout", "60s", `https://127.0.0.1:${port}/${size}.bin`]);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]);
  const transfer = /Transfer\/sec:\s+(\S+)/.exec(text)?.[1] ?? "?";
  const errors = [/Non-2xx or 3xx responses: \d+/.exec(text)?.[0], /Socket errors: .*/.exec(text)?.[0]].filter(Boolean).join("; ");
  if (!Number.isFinite(rps)) throw new Error(`wrk printed no rate:\n${text}`);
  return { rps, transfer, errors };
}

const results: BenchResult[] = [];
const children: ChildProcess[] = [];
try {
  run("/usr/sbin/ip", ["link", "set", "lo", "up"]);
  run("busybox", ["insmod", tlsKo]);
  run(process.execPath, [kscript, "deploy", path.join(site, "dist", "router.kscript.json")]);
  const www = path.join(site, "www");
  const pem = (f: string) => path.join(conf, f);
  children.push(
    start(ktlsServer, ["8460", www, pem("cert.pem"), pem("key.pem"), "--attach", "router", "--priority",
      "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM"], "ktls-server.log"),
    start("/usr/sbin/lighttpd", ["-D", "-f", pem("lighttpd.conf")], "lighttpd.log"),
    start("/usr/sbin/nginx", ["-c", pem("nginx.conf"), "-e", "/run/nginx.err", "-p", "/run"], "nginx.log"),
  );
  for (const s of SERVERS) for (const size of Object.keys(SIZES)) await ready(s.port, size);
  for (const size of Object.keys(SIZES) as (keyof typeof SIZES)[]) {
    for (const s of SERVERS) {
      const r = wrk(s.port, size);
      results.push({ server: s.name, size, requestsPerSecond: r.rps, transferPerSecond: r.transfer, errors: r.errors });
    }
  }
  fs.writeFileSync(path.join(out, "bench-ktls.json"), JSON.stringify({ results, stats: run(process.execPath, [kscript, "stats", "router"]) }));
} catch (error) {
  fs.writeFileSync(path.join(out, "bench-ktls.json"), JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
} finally {
  for (const c of children) c.kill("SIGTERM");
  await new Promise((resolve) => setTimeout(resolve, 500));
  spawnSync("busybox", ["rmmod", "tls"]);
}
