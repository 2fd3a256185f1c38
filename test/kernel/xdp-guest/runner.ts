/**
 * The XDP hook end to end, run inside the kernel VM as the xdp suite (test/kernel/xdp.suite.ts):
 *   node runner.js OUT VETH_KO XDP_OBJ DNS_PROJECT FORWARD_PROJECT VERDICTS_PROJECT
 * Network namespaces joined by veth pairs, real clients (dig, nc, bash's UDP), the real kscript CLI (on PATH)
 * deploying the templates on an interface (kscript deploy --xdp) and taking them off (kscript detach). One
 * JSON line per step goes to OUT/xdp.jsonl, each command to the output (the suite's progress). The same file
 * runs the helper servers of a namespace in one process (`runner.js serve SPEC…`), so every server is the
 * host's Node. Nothing waits for a fixed time: a wait is for a state, bounded by the measured speed of the
 * machine (its slowest CLI call so far).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import dgram from "node:dgram";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { entryKey } from "../../../zone/index.js";

const self = fileURLToPath(import.meta.url);
const UPSTREAM_LOG = "/run/ks-upstream.log";
const SERVER_LOG = "/run/ks-server.log";
const READY_LOG = "/run/ks-ready.log";

/** A name's labels from a DNS message at offset 12 (no compression in questions); its end offset. */
function question(msg: Buffer): { name: string; type: number; end: number } {
  const labels: string[] = [];
  let o = 12;
  while (msg[o] !== 0) {
    labels.push(msg.subarray(o + 1, o + 1 + msg[o]).toString("latin1").toLowerCase());
    o += 1 + msg[o];
  }
  return { name: labels.join("."), type: msg.readUInt16BE(o + 1), end: o + 5 };
}

/** The upstream resolver: cached.example.net A (two addresses, TTL 600); NXDOMAIN for anything else. */
function serveUpstream(address: string): Promise<void> {
  const s = dgram.createSocket("udp4");
  s.on("message", (q, peer) => {
    const { name, type, end } = question(q);
    appendFileSync(UPSTREAM_LOG, `${name}/${type}\n`);
    const found = name === "cached.example.net" && type === 1;
    const addrs = found ? ["198.51.100.7", "198.51.100.8"] : [];
    const head = Buffer.alloc(12);
    q.copy(head, 0, 0, 2);
    head.writeUInt16BE(0x8180 | (found ? 0 : 3), 2);
    head.writeUInt16BE(1, 4);
    head.writeUInt16BE(addrs.length, 6);
    const answers = addrs.map((a) => {
      const rr = Buffer.alloc(16);
      rr.writeUInt16BE(0xc00c, 0);
      rr.writeUInt16BE(1, 2);
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(600, 6);
      rr.writeUInt16BE(4, 10);
      Buffer.from(a.split(".").map(Number)).copy(rr, 12);
      return rr;
    });
    s.send(Buffer.concat([head, q.subarray(12, end), ...answers]), peer.port, peer.address);
  });
  return new Promise((r) => s.bind(53, address, r));
}

/** A forwarding resolver on address:53 relaying to upstream:53, and a TCP service on :8080 answering "ok". */
function serveForwarder(address: string, upstream: string): Promise<void> {
  const s = dgram.createSocket("udp4");
  s.on("message", (q, client) => {
    const relay = dgram.createSocket("udp4");
    relay.on("message", (r) => {
      s.send(r, client.port, client.address);
      relay.close();
    });
    relay.send(q, 53, upstream);
  });
  const tcp = net.createServer((c) => c.end("ok\n"));
  return Promise.all([new Promise<void>((r) => s.bind(53, address, r)), new Promise<void>((r) => tcp.listen(8080, address, r))]).then(() => {});
}

/** A UDP server logging each datagram with its source. */
function serveLogger(address: string, port: number): Promise<void> {
  const s = dgram.createSocket("udp4");
  s.on("message", (m, peer) => appendFileSync(SERVER_LOG, `${peer.address} ${m.toString()}\n`));
  return new Promise((r) => s.bind(port, address, r));
}

if (process.argv[2] === "serve") {
  // SPECs: upstream:ADDRESS, forwarder:ADDRESS:UPSTREAM, logger:ADDRESS:PORT; "ready SPECs" once all listen.
  const specs = process.argv.slice(3);
  await Promise.all(
    specs.map((spec) => {
      const [kind, ...args] = spec.split(":");
      if (kind === "upstream") return serveUpstream(args[0]);
      if (kind === "forwarder") return serveForwarder(args[0], args[1]);
      if (kind === "logger") return serveLogger(args[0], Number(args[1]));
      throw new Error(`unknown server ${spec}`);
    }),
  );
  appendFileSync(READY_LOG, `ready ${specs.join(" ")}\n`);
} else {
  await main();
}

async function main(): Promise<void> {
  const [out, vethKo, obj, dnsProject, forwardProject, verdictsProject] = process.argv.slice(2);
  const results = path.join(out, "xdp.jsonl");
  const children: ChildProcess[] = [];
  /** The slowest CLI call so far: the measure of this machine's speed that waits are scaled by. */
  let slowestMs = 1000;

  function sh(cmd: string, ok = true): string {
    console.log(`$ ${cmd}`);
    const t0 = Date.now();
    const r = spawnSync("sh", ["-c", cmd], { encoding: "utf8", env: { ...process.env, KSCRIPT_XDP_OBJ: obj } });
    console.log(`  exit ${r.status} in ${Date.now() - t0} ms`);
    if (ok && r.status !== 0) throw new Error(`${cmd}: exit ${r.status}\n${r.stdout}${r.stderr}`);
    return r.stdout + r.stderr;
  }
  /** The real CLI in a namespace: its output and exit status. */
  function cli(ns: string, args: string): { out: string; status: number | null } {
    const t0 = Date.now();
    console.log(`$ ip netns exec ${ns} kscript ${args}`);
    const r = spawnSync("sh", ["-c", `ip netns exec ${ns} kscript ${args}`], { encoding: "utf8", env: { ...process.env, KSCRIPT_XDP_OBJ: obj } });
    slowestMs = Math.max(slowestMs, Date.now() - t0);
    console.log(`  exit ${r.status} in ${Date.now() - t0} ms`);
    return { out: (r.stdout + r.stderr).trim(), status: r.status };
  }
  function cliOk(ns: string, args: string): string {
    const r = cli(ns, args);
    if (r.status !== 0) throw new Error(`kscript ${args}: exit ${r.status}\n${r.out}`);
    return r.out;
  }
  /** One Node process serving every given server in the namespace. */
  function serve(ns: string, ...specs: string[]): void {
    children.push(spawn("ip", ["netns", "exec", ns, process.execPath, self, "serve", ...specs], { stdio: "inherit" }));
  }
  /** dig with a reply timeout scaled to the machine: its Node servers answer slower on a slow machine. */
  function dig(ns: string, server: string, q: string): string {
    return sh(`ip netns exec ${ns} dig @${server} +tries=1 +time=${Math.max(5, Math.ceil(slowestMs / 1000))} ${q}`, false);
  }
  function step(name: string, fn: () => string | void): void {
    const t0 = Date.now();
    let line: object;
    try {
      line = { name, ok: true, detail: fn() ?? "", ms: Date.now() - t0 };
    } catch (error) {
      line = { name, ok: false, detail: error instanceof Error ? error.message : String(error), ms: Date.now() - t0 };
    }
    appendFileSync(results, JSON.stringify(line) + "\n");
  }
  function check(cond: boolean, what: string, output: string): void {
    if (!cond) throw new Error(`${what}\n${output}`);
  }
  const read = (file: string) => (existsSync(file) ? readFileSync(file, "utf8") : "");
  const serverLog = () => read(SERVER_LOG);
  const upstreamQueries = () => read(UPSTREAM_LOG).split("\n").filter(Boolean);
  /** Until `done()`, or for 5 times the slowest CLI call: long enough for anything this machine does in one go. */
  const until = async (done: () => boolean) => {
    for (const t0 = Date.now(); !done() && Date.now() - t0 < 5 * slowestMs; ) await new Promise((r) => setTimeout(r, 100));
  };
  /** A datagram from a namespace, sent by the shell (bash's /dev/udp): no process start beyond the shell. */
  const send = (ns: string, addr: string, port: number, text: string) => sh(`ip netns exec ${ns} bash -c 'printf %s ${text} >/dev/udp/${addr}/${port}'`);
  /** A datagram's arrival at a logger, or the wait's end. */
  const arrived = (text: string) => until(() => serverLog().includes(` ${text}\n`));
  /** Each part starts with its interface free, whatever the part before left (a failed step must not cascade). */
  const free = (ns: string, dev: string) => {
    if (/xdp/.test(sh(`ip -n ${ns} link show ${dev}`, false))) cli(ns, `detach ${dev}`);
  };

  step("module BTF, veth and namespaces", () => {
    // The kfuncs are callable only with the module's BTF.
    check(existsSync("/sys/kernel/btf/kscript"), "kscript.ko has BTF", sh("ls /sys/kernel/btf"));
    sh(`busybox insmod ${vethKo}`); // the host root may lack kmod; busybox-static is there
    for (const ns of ["cli", "dns", "a", "f", "b"]) sh(`ip netns add ${ns} && ip -n ${ns} link set lo up`);
    // xdp-dns: clients and the upstream (10.53.0.3) in cli; the hook and the forwarding resolver in dns.
    sh("ip link add c0 netns cli type veth peer name d0 netns dns");
    sh("ip -n cli addr add 10.53.0.1/24 dev c0 && ip -n cli addr add 10.53.0.3/24 dev c0 && ip -n cli link set c0 up");
    sh("ip -n dns addr add 10.53.0.2/24 dev d0 && ip -n dns link set d0 up");
    // And IPv6 between them, usable at once (no duplicate address detection): dig over IPv6 to the hook.
    sh("ip -n cli addr add fd53::1/64 dev c0 nodad && ip -n dns addr add fd53::2/64 dev d0 nodad");
    // xdp-forward: client a, forwarder f (hook on f0), server b.
    sh("ip link add a0 netns a type veth peer name f0 netns f && ip link add f1 netns f type veth peer name b0 netns b");
    sh("ip -n a addr add 10.60.0.1/24 dev a0 && ip -n a link set a0 up && ip -n a route add 10.61.0.0/24 via 10.60.0.2");
    sh("ip -n f addr add 10.60.0.2/24 dev f0 && ip -n f addr add 10.61.0.1/24 dev f1 && ip -n f link set f0 up && ip -n f link set f1 up");
    sh("ip netns exec f sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'");
    sh("ip -n b addr add 10.61.0.2/24 dev b0 && ip -n b link set b0 up && ip -n b route add default via 10.61.0.1");
    serve("cli", "upstream:10.53.0.3");
    serve("dns", "forwarder:10.53.0.2:10.53.0.3", ...["9", "10", "11", "12"].map((port) => `logger:10.53.0.2:${port}`));
    serve("b", "logger:10.61.0.2:5353");
  });
  // The servers are up once each has said so (three Node processes starting side by side).
  for (;;) {
    if (read(READY_LOG).split("\n").filter(Boolean).length === 3) break;
    if (children.some((c) => c.exitCode !== null)) throw new Error("a helper server exited");
    await new Promise((r) => setTimeout(r, 100));
  }

  step("deploy --xdp refuses what it cannot do", () => {
    const noIf = cli("dns", `deploy ${dnsProject}/dist/dns.kscript.json --xdp nosuch0`);
    check(noIf.status === 1 && /no interface named 'nosuch0'/.test(noIf.out), "missing interface", noIf.out);
    const notAttached = cli("dns", "detach d0");
    check(notAttached.status === 1 && /no script is attached to 'd0'/.test(notAttached.out), "detach of nothing", notAttached.out);
    const ls = cliOk("dns", "ls");
    check(/no scripts loaded/.test(ls), "a failed deploy leaves nothing loaded", ls);
    return `${noIf.out} | ${notAttached.out}`;
  });

  step("xdp-dns deployed on d0 answers the zone", () => {
    const deployed = cliOk("dns", `deploy ${dnsProject}/dist/dns.kscript.json --xdp d0`);
    check(/xdpgeneric/.test(sh("ip -n dns link show d0")), "program on d0", sh("ip -n dns link show d0"));
    const ls = cliOk("dns", "ls");
    check(/dns\s+xdp\s+callback\s+\d+\s+\d+\s+\d+\s+\d+\s+d0$/m.test(ls), "kscript ls shows the limits and the interface", ls);
    // The template's zone file, compiled into a script of kscript rcu set lines; run as is inside namespace dns.
    writeFileSync("/run/ks-dns.sh", cliOk("dns", `dns compile ${dnsProject}/example.test.zone`));
    sh("ip netns exec dns sh -e /run/ks-dns.sh");
    cliOk("dns", "rcu set dns 1 10.53.0.3");
    const a = dig("cli", "10.53.0.2", "www.example.test A");
    check(/www\.example\.test\.\s+300\s+IN\s+A\s+192\.0\.2\.11/.test(a) && /192\.0\.2\.12/.test(a), "A answers", a);
    check(/flags: qr aa rd/.test(a), "authoritative", a);
    const aaaa = dig("cli", "10.53.0.2", "example.test AAAA +noedns");
    check(/AAAA\s+2001:db8::10/.test(aaaa), "AAAA answer", aaaa);
    // Over IPv6 too: nothing in namespace dns listens on [fd53::2]:53, so only the hook can answer.
    const a6 = dig("cli", "fd53::2", "www.example.test A");
    check(/www\.example\.test\.\s+300\s+IN\s+A\s+192\.0\.2\.11/.test(a6) && /flags: qr aa rd/.test(a6), "A answer over IPv6", a6);
    const aaaa6 = dig("cli", "fd53::2", "v6.example.test AAAA +noedns");
    check(/AAAA\s+2001:db8:0:1::6/.test(aaaa6) && /AAAA\s+2001:db8:0:1::7/.test(aaaa6), "AAAA answer over IPv6", aaaa6);
    check(!upstreamQueries().some((q) => q.startsWith("www.example.test") || q.startsWith("example.test")), "never reached the upstream", upstreamQueries().join(","));
    return `${deployed}; ${a.match(/Query time: \d+ msec/)?.[0] ?? ""}`;
  });

  step("xdp-dns caches the upstream's answers", () => {
    const first = dig("cli", "10.53.0.2", "cached.example.net A");
    check(/198\.51\.100\.7/.test(first) && /flags: qr rd ra;/.test(first), "first answer from the upstream via the forwarder", first);
    check(upstreamQueries().filter((q) => q === "cached.example.net/1").length === 1, "upstream asked once", upstreamQueries().join(","));
    // Two records of TTL 600 (0x258), expiring at the time.seconds() it was learned + 600.
    const learned = cliOk("dns", `rcu get --hex dns ${entryKey("cached.example.net", 1).toString("hex")}`);
    const record = (address: string) => `c00c00010001000002580004${address}`;
    check(new RegExp(`^02[0-9a-f]{8}${record("c6336407")}${record("c6336408")}$`).test(learned), "learned into rcu", learned);
    // The TTL counts down with the kernel's clock: seconds after learning, less is left.
    sh("sleep 2");
    const second = dig("cli", "10.53.0.2", "cached.example.net A");
    const ttl = Number(/cached\.example\.net\.\s+(\d+)\s+IN\s+A\s+198\.51\.100\.7/.exec(second)?.[1]);
    check(ttl > 0 && ttl <= 598, "answered from the cache with the TTL left", second);
    check(upstreamQueries().filter((q) => q === "cached.example.net/1").length === 1, "upstream not asked again", upstreamQueries().join(","));
    return `learned: ${learned}; TTL left: ${ttl}`;
  });

  step("xdp-dns passes other traffic", () => {
    const nx = dig("cli", "10.53.0.2", "missing.example.net A");
    check(/status: NXDOMAIN/.test(nx), "a name outside the zone reaches the upstream", nx);
    check(upstreamQueries().includes("missing.example.net/1"), "upstream asked", upstreamQueries().join(","));
    const tcp = sh("ip netns exec cli busybox nc 10.53.0.2 8080 </dev/null");
    check(tcp.trim() === "ok", "TCP passes", tcp);
    const stats = cliOk("dns", "stats dns");
    const row = stats.split("\n")[1]?.trim().split(/\s+/) ?? [];
    check(Number(row[1]) > 0 && row[2] === "0", "calls counted, no errors", stats);
    return stats.split("\n")[1];
  });

  step("kscript detach restores plain forwarding (xdp-dns)", () => {
    const out = cliOk("dns", "detach d0");
    check(!/xdp/.test(sh("ip -n dns link show d0")), "program gone", sh("ip -n dns link show d0"));
    const a = dig("cli", "10.53.0.2", "www.example.test A");
    check(/status: NXDOMAIN/.test(a) && upstreamQueries().includes("www.example.test/1"), "the zone is no longer answered at XDP", a);
    const ls = cliOk("dns", "ls");
    check(/no scripts loaded/.test(ls), "script unloaded", ls);
    return out;
  });

  free("dns", "d0");
  step("verdicts hook on d0 deployed", () => cliOk("dns", `deploy ${verdictsProject}/dist/verdicts.kscript.json --xdp d0`));
  send("cli", "10.53.0.2", 9, "dropped-1");
  send("cli", "10.53.0.2", 10, "error-1");
  send("cli", "10.53.0.2", 11, "budget-1");
  send("cli", "10.53.0.2", 12, "rewritten-1");
  // In order on one link to one server: once the last has arrived, a dropped one would have too.
  await arrived("rewritten-1");
  step("drop works; a script error or budget hit passes the packet", () => {
    const log = serverLog();
    check(!log.includes("dropped-1"), "UDP to port 9 dropped", log);
    check(log.includes("10.53.0.1 error-1"), "the packet of a failing call passes", log);
    check(log.includes("10.53.0.1 budget-1"), "the packet of a call out of budget passes", log);
    check(log.includes("10.53.0.1 rewritten-1"), "a packet rewritten before the error passes as it came", log);
    const stats = cliOk("dns", "stats verdicts");
    const row = stats.split("\n")[1]?.trim().split(/\s+/) ?? [];
    check(row[2] === "3" && row[3] === "1", "three errors, one of them the budget", stats);
    cliOk("dns", "detach d0");
    return stats.split("\n")[1];
  });
  send("cli", "10.53.0.2", 9, "dropped-2");
  await arrived("dropped-2");
  step("after detach, nothing is dropped", () => {
    check(serverLog().includes("10.53.0.1 dropped-2"), "UDP to port 9 delivered", serverLog());
  });

  await (async () => {
    free("f", "f0");
    let mac = "";
    step("xdp-forward deployed on f0 with compiled rules", () => {
      const macOf = (ns: string, dev: string) => sh(`ip -n ${ns} -o link show ${dev}`).match(/link\/ether (([0-9a-f]{2}:){5}[0-9a-f]{2})/)![1];
      const bMac = macOf("b", "b0");
      const fMac = macOf("f", "f1");
      mac = bMac;
      const rules = path.join("/run", "ks-forward.rules");
      writeFileSync(rules, `-d 10.60.0.2 -p udp --dport 2222 --to-destination 10.61.0.2:5353 --to-mac ${bMac} --from-mac ${fMac} f1\n`);
      const deployed = cliOk("f", `deploy ${forwardProject}/dist/forward.kscript.json --xdp f0`);
      const load = cliOk("f", `rules compile ${rules}`);
      // The compiled rules are a script of kscript rcu set lines; run it as is inside namespace f.
      writeFileSync("/run/ks-forward.sh", load);
      sh("ip netns exec f sh -e /run/ks-forward.sh");
      return `${deployed}; rules: ${cliOk("f", "rcu get forward fwd:rules")}`;
    });
    send("a", "10.60.0.2", 2222, "redirected-1");
    send("a", "10.61.0.2", 5353, "routed-1");
    await arrived("routed-1");
    step("xdp-forward redirects per its rules", () => {
      const log = serverLog();
      check(log.includes("10.60.0.1 redirected-1"), `a datagram to 10.60.0.2:2222 reaches 10.61.0.2:5353 (b0 ${mac})`, log);
      check(log.includes("10.60.0.1 routed-1"), "unmatched traffic passes and is routed", log);
      const stats = cliOk("f", "stats forward");
      check(stats.split("\n")[1]?.trim().split(/\s+/)[2] === "0", "no errors", stats);
      return stats.split("\n")[1];
    });
    step("kscript detach restores plain forwarding (xdp-forward)", () => cliOk("f", "detach f0"));
    send("a", "10.60.0.2", 2222, "redirected-2");
    send("a", "10.61.0.2", 5353, "routed-2");
    await arrived("routed-2");
    step("after detach, only routing applies", () => {
      const log = serverLog();
      check(!log.includes("redirected-2"), "no redirect without the hook", log);
      check(log.includes("10.60.0.1 routed-2"), "routing works", log);
      return "";
    });
  })();

  for (const c of children) c.kill();
  for (const ns of ["cli", "dns", "a", "f", "b"]) sh(`ip netns del ${ns}`, false);
  appendFileSync(results, JSON.stringify({ name: "done", ok: true, detail: "", ms: 0 }) + "\n");
}
