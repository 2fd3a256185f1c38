/**
 * DNS queries per second, side by side in one kernel VM run: dnsperf (Debian's) in one network namespace
 * against, in turn, NSD, Knot, and the xdp-dns template deployed with `kscript deploy --xdp` on the server's
 * veth, all serving the template's zone file (example.test.zone; xdp-dns's rcu compiled from it as
 * `kscript dns compile` does). The same query mix for each: names in the zone, A and AAAA, and misses (a
 * name not in the zone, a type the name lacks). xdp-dns passes what it does not answer to the stack, so Knot
 * (the faster of the two here) runs behind it for the misses, as in a real deployment. Prints each server's configuration, its queries/s
 * and the ratios (target: xdp-dns at least 3 times the better of NSD and Knot). Under qemu TCG (no KVM here)
 * every side is emulated, so the ratios are what compares.
 *
 *   npm run bench:dns [seconds]        (root: the VM installs Debian packages and runs qemu)
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { compileZone } from "../zone/index.js";

const self = fileURLToPath(import.meta.url);
const repo = path.resolve(path.dirname(self), "..", "..");
const bin = path.join(repo, "bin", "kscript.js");
const PATH = [process.env.PATH, "/usr/sbin", "/usr/bin", "/sbin", "/bin"].filter(Boolean).join(":");
const SERVER = "10.54.0.2";
/** The VM's CPUs (vm/: -smp 2): each server may use all of them, as the hook's per-CPU states do. */
const CPUS = 2;
/** Names in the zone, A and AAAA (8 of 10), and misses: a name not in it, a type the name lacks. */
const QUERIES = [
  "www.example.test A",
  "example.test A",
  "example.test AAAA",
  "v6.example.test AAAA",
  "www.example.test A",
  "example.test A",
  "v6.example.test AAAA",
  "www.example.test A",
  "nope.example.test A",
  "www.example.test AAAA",
];

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", env: { ...process.env, PATH } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: exit ${r.status ?? r.signal}\n${r.stdout}${r.stderr}${r.error ?? ""}`);
  return r.stdout.trim();
}

const sh = (cmd: string) => run("sh", ["-c", cmd]);

/** Inside the VM: namespaces, each server in turn under dnsperf, the report. */
function guest(out: string, work: string, bpf: string, vethKo: string, seconds: string): void {
  const lines: string[] = [];
  const children: ChildProcess[] = [];
  // The servers' files on the guest's own memory (Knot's database is memory-mapped: not on the 9p share).
  const dir = "/run/bench-dns";
  const kscript = (...args: string[]) => run("ip", ["netns", "exec", "ds", process.execPath, bin, ...args]);
  const start = (cmd: string, args: string[]) => {
    const child = spawn("ip", ["netns", "exec", "ds", cmd, ...args], { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, PATH } });
    children.push(child);
    return child;
  };
  // Knot makes its configuration database in /tmp, which in the guest is the host's, read-only: a tmpfs of its
  // own there, in the mount namespace ip netns exec gives it.
  const startKnot = () => start("sh", ["-c", `mount -t tmpfs none /tmp && exec knotd -c ${path.join(dir, "knot.conf")}`]);
  const stop = (child: ChildProcess) => {
    child.kill("SIGTERM");
    sh("sleep 1");
  };
  /** dig until the server answers the zone (a server starting on a slow machine). */
  const ready = (what: string) => {
    for (let i = 0; i < 60; i++) {
      const r = spawnSync("ip", ["netns", "exec", "dq", "dig", `@${SERVER}`, "+tries=1", "+time=2", "+short", "www.example.test", "A"], { encoding: "utf8", env: { ...process.env, PATH } });
      if (r.stdout.includes("192.0.2.11")) return;
      sh("sleep 1");
    }
    throw new Error(`${what} never answered www.example.test A`);
  };
  const perf = (what: string): number => {
    ready(what);
    const text = run("ip", ["netns", "exec", "dq", "dnsperf", "-s", SERVER, "-d", path.join(dir, "queries.txt"), "-l", seconds, "-c", "8", "-T", String(CPUS), "-q", "200"]);
    fs.appendFileSync(path.join(out, "dnsperf.log"), `== ${what}\n${text}\n`);
    const qps = Number(/Queries per second:\s+([\d.]+)/.exec(text)?.[1]);
    const lost = /Queries lost:\s+(\d+)/.exec(text)?.[1] ?? "?";
    if (!(qps > 0)) throw new Error(`${what}: no rate in dnsperf's output\n${text}`);
    lines.push(`  ${what.padEnd(44)} ${qps.toFixed(0).padStart(8)} queries/s (${lost} lost)`);
    return qps;
  };
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "queries.txt"), QUERIES.join("\n") + "\n");
    const zoneFile = path.join(work, "dns", "example.test.zone");
    fs.copyFileSync(zoneFile, path.join(dir, "example.test.zone"));
    fs.writeFileSync(
      path.join(dir, "nsd.conf"),
      `server:\n  ip-address: ${SERVER}\n  server-count: ${CPUS}\n  username: ""\n  chroot: ""\n  zonesdir: "${dir}"\n  pidfile: "${dir}/nsd.pid"\n  database: ""\n` +
        `  zonelistfile: "${dir}/zone.list"\n  xfrdfile: "${dir}/xfrd.state"\n  xfrdir: "${dir}"\n  logfile: "${out}/nsd.log"\n` +
        `remote-control:\n  control-enable: no\nzone:\n  name: example.test\n  zonefile: example.test.zone\n`,
    );
    fs.mkdirSync(path.join(dir, "knot-run"));
    fs.mkdirSync(path.join(dir, "knot-db"));
    fs.writeFileSync(
      path.join(dir, "knot.conf"),
      `server:\n    listen: ${SERVER}@53\n    rundir: "${dir}/knot-run"\n    udp-workers: ${CPUS}\n    tcp-workers: 1\n    background-workers: 1\n` +
        `database:\n    storage: "${dir}/knot-db"\nlog:\n  - target: stderr\n    any: warning\n` +
        `zone:\n  - domain: example.test\n    file: "${dir}/example.test.zone"\n    journal-content: none\n    zonefile-sync: -1\n`,
    );
    sh(`busybox insmod ${vethKo}`);
    sh("ip netns add dq && ip netns add ds && ip link add q0 netns dq type veth peer name s0 netns ds");
    sh(`ip -n dq addr add 10.54.0.1/24 dev q0 && ip -n dq link set q0 up && ip -n ds addr add ${SERVER}/24 dev s0 && ip -n ds link set s0 up`);
    const nsdVersion = sh("nsd -v 2>&1 | head -n1");
    const knotVersion = sh("knotd --version 2>&1 | head -n1");
    lines.push(
      `query mix: ${QUERIES.length} lines (${QUERIES.filter((q) => !q.startsWith("nope") && q !== "www.example.test AAAA").length} answered from the zone, 2 misses), repeated;`,
      `dnsperf -c 8 -T ${CPUS} -q 200 -l ${seconds} from namespace dq over a veth pair to ${SERVER} in namespace ds; the VM has ${CPUS} CPUs`,
      `servers, each serving example.test from the same zone file:`,
      `  NSD: ${nsdVersion}; server-count ${CPUS} (one process per CPU); authoritative, no cache`,
      `  Knot: ${knotVersion}; udp-workers ${CPUS}, tcp-workers 1, background-workers 1; authoritative, no cache`,
      `  xdp-dns: the template's hook in kscript.ko, generic XDP on s0 (kscript deploy --xdp), one Lua state per CPU,`,
      `    the zone in rcu (kscript dns compile); Knot as above behind it for what it passes (the misses)`,
      "queries per second:",
    );
    let server = start("nsd", ["-d", "-c", path.join(dir, "nsd.conf")]);
    const nsd = perf("NSD");
    stop(server);
    server = startKnot();
    const knot = perf("Knot");
    stop(server);
    server = startKnot();
    kscript("deploy", path.join(work, "dns", "dist", "dns.kscript.json"), "--xdp", "s0", "--obj", path.join(bpf, "kscript_xdp.o"));
    const zone = compileZone(fs.readFileSync(zoneFile, "utf8"), zoneFile);
    if (!zone.ok) throw new Error(`${zoneFile}: ${zone.diagnostics.map((d) => d.message).join("; ")}`);
    const hex = (bytes: string) => Buffer.from(bytes, "latin1").toString("hex");
    for (const e of zone.entries) kscript("rcu", "set", "--hex", "dns", hex(e.key), hex(e.value));
    const xdp = perf("xdp-dns (Knot behind it for the misses)");
    const stats = kscript("stats", "dns").split("\n")[1] ?? "";
    kscript("detach", "s0");
    stop(server);
    const best = Math.max(nsd, knot);
    lines.push(
      `ratios: xdp-dns / NSD ${(xdp / nsd).toFixed(2)}x, xdp-dns / Knot ${(xdp / knot).toFixed(2)}x, xdp-dns / the better of them ${(xdp / best).toFixed(2)}x (target >= 3x)`,
      `xdp-dns stats: ${stats}`,
    );
  } catch (error) {
    lines.push(`FAILED: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    spawnSync("sh", ["-c", "ip netns del dq; ip netns del ds"]);
  }
  fs.writeFileSync(path.join(out, "bench.txt"), lines.join("\n") + "\n");
}

async function host(seconds: string): Promise<number> {
  const { VM_CACHE, VmUnavailable, bootVm, prepareVm } = await import("../vm/vm.js");
  let image;
  try {
    image = await prepareVm();
  } catch (error) {
    if (error instanceof VmUnavailable) {
      console.error(`bench:dns needs the kernel VM: ${error.message}`);
      return 1;
    }
    throw error;
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "kscript-bench-dns-"));
  try {
    run(process.execPath, [bin, "init", "xdp-dns", path.join(work, "dns")]);
    run(process.execPath, [bin, "build", path.join(work, "dns")]);
    const veth = path.join(VM_CACHE, `image-${image.kver}`, "lib/modules", image.kver, "kernel/drivers/net/veth.ko");
    const out = path.join(VM_CACHE, `bench-dns-${process.pid}`);
    fs.rmSync(out, { recursive: true, force: true });
    const status = await bootVm(image, {
      runner: self,
      runnerArgs: ["guest", work, image.bpf, veth, seconds],
      cwd: repo,
      out,
      timeoutSeconds: 1800,
      console: "file",
    });
    const report = path.join(out, "bench.txt");
    if (!fs.existsSync(report)) {
      console.error(`bench:dns: the VM gave no report (qemu exit ${status}); see ${out}/console.log`);
      return 1;
    }
    const text = fs.readFileSync(report, "utf8");
    process.stdout.write(`kernel ${image.kver} under qemu TCG\n${text}`);
    if (text.includes("FAILED")) {
      console.error(`logs in ${out}`);
      return 1;
    }
    fs.rmSync(out, { recursive: true, force: true });
    return 0;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[3] === "guest") {
  // In the VM: argv[2] is the out share, then what host() passed.
  const [out, , work, bpf, vethKo, seconds] = process.argv.slice(2);
  guest(out, work, bpf, vethKo, seconds);
} else {
  process.exitCode = await host(process.argv[2] ?? "10");
}
