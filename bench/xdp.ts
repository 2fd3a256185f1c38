/**
 * The XDP hook against plain eBPF, side by side in one kernel VM run: the xdp-dns template (made with
 * `kscript init`, built with `kscript build`, deployed with `kscript deploy --xdp lo` and its zone file
 * compiled as `kscript dns compile` does, set with `kscript rcu set --hex`) answering a DNS query through kmod/bpf/kscript_xdp.bpf.c and the kfunc, and
 * kmod/bpf/dns_plain.bpf.c, a C responder for the same zone. Each runs on the same query through
 * BPF_PROG_TEST_RUN (bench/xdp-run.c: one run per call on a fresh packet, the kernel's own timing), their
 * replies must be the same bytes, and the ratio of the median times per packet is printed (target ≤ 10×). The
 * fixed cost is the pair of empty programs: a hook returning pass at once against kmod/bpf/pass_plain.bpf.c
 * (and against the responder: target ≤ 1.5×). Under qemu TCG (no KVM here) every side is emulated, so only
 * ratios are printed.
 *
 *   npm run bench:xdp [runs]        (root: the VM installs Debian packages and runs qemu)
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { compileZone } from "../zone/index.js";

const self = fileURLToPath(import.meta.url);
const repo = path.resolve(path.dirname(self), "..", "..");
const bin = path.join(repo, "bin", "kscript.js");
const PATH = [process.env.PATH, "/usr/sbin", "/usr/bin", "/sbin", "/bin"].filter(Boolean).join(":");

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", env: { ...process.env, PATH } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: exit ${r.status ?? r.signal}\n${r.stdout}${r.stderr}${r.error ?? ""}`);
  return r.stdout.trim();
}

/** Inside the VM: deploy, set the zone, time both programs, compare, detach. */
function guest(out: string, work: string, bpf: string, runs: string): void {
  const lines: string[] = [];
  const kscript = (...args: string[]) => run(process.execPath, [bin, ...args]);
  try {
    lines.push(kscript("deploy", path.join(work, "dns", "dist", "dns.kscript.json"), "--xdp", "lo", "--obj", path.join(bpf, "kscript_xdp.o")));
    // The template's zone file, compiled as `kscript dns compile` does (the same zone dns_plain.bpf.c compiles in).
    const zoneFile = path.join(work, "dns", "example.test.zone");
    const zone = compileZone(fs.readFileSync(zoneFile, "utf8"), zoneFile);
    if (!zone.ok) throw new Error(`${zoneFile}: ${zone.diagnostics.map((d) => d.message).join("; ")}`);
    const hex = (bytes: string) => Buffer.from(bytes, "latin1").toString("hex");
    for (const e of zone.entries) kscript("rcu", "set", "--hex", "dns", hex(e.key), hex(e.value));
    const side = (obj: string, reply: string) => {
      const [retval, bytes, median] = run(path.join(work, "xdp-run"), [path.join(bpf, obj), path.join(work, "query.bin"), runs, reply]).split(" ").map(Number);
      return { retval, bytes, ns: median };
    };
    /**
     * Where the time goes: Debian's perf sampling xdp-run (cpu-clock) while it runs the program on the query.
     * First where its samples fall by object, then the kernel's symbols (the test-run syscall around the
     * program, the program, and kscript.ko's: the kfunc, the call path, the Lua interpreter), each above 2%.
     */
    const profile = (obj: string, title: string) => {
      const data = path.join(out, "perf.data");
      run("perf", ["record", "-q", "-e", "cpu-clock", "-o", data, "--", path.join(work, "xdp-run"), path.join(bpf, obj), path.join(work, "query.bin"), runs, path.join(out, "profile.bin")]);
      const report = (...args: string[]) =>
        run("perf", ["report", "-i", data, "--stdio", "--no-children", "--percent-limit", "2", "-q", ...args])
          .split("\n")
          .filter((l) => l.trim() !== "")
          .map((l) => `    ${l.trim().replace(/\s+/g, " ")}`);
      // perf finds no file for kscript.ko in the guest: its symbols are the kernel's, from /proc/kallsyms.
      const lines = [`profile of ${title} (perf, cpu-clock, xdp-run's samples):`, "  by object:", ...report("--sort", "dso"), "  inside the kernel (kscript.ko included):", ...report("--sort", "sym", "--dsos", "[kernel.kallsyms]", "--percentage", "relative")];
      fs.rmSync(data, { force: true });
      return lines;
    };
    const hook = side("kscript_xdp.o", path.join(out, "hook.bin")); // work is read-only in the guest
    const hookProfile = profile("kscript_xdp.o", "the xdp-dns hook");
    const plain = side("dns_plain.o", path.join(out, "plain.bin"));
    const same = Buffer.compare(fs.readFileSync(path.join(out, "hook.bin")), fs.readFileSync(path.join(out, "plain.bin"))) === 0;
    const stats = kscript("stats", "dns").split("\n")[1] ?? "";
    kscript("detach", "lo");
    // The fixed cost under the hook: kfunc, state, budget and a Lua call doing nothing, against a program doing nothing.
    kscript("deploy", path.join(work, "pass", "dist", "pass.kscript.json"), "--xdp", "lo", "--obj", path.join(bpf, "kscript_xdp.o"));
    const pass = side("kscript_xdp.o", path.join(out, "pass.bin"));
    const passProfile = profile("kscript_xdp.o", "the empty hook");
    kscript("detach", "lo");
    const floor = side("pass_plain.o", path.join(out, "floor.bin"));
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
    lines.push(
      `query: www.example.test A (2 answers), ${runs} runs of each program through BPF_PROG_TEST_RUN; ratios of median times per packet`,
      `replies identical (xdp-dns hook, plain eBPF responder): ${same ? "yes" : "NO"}`,
      `xdp-dns hook / plain eBPF responder (dns_plain):   ${ratio(hook.ns, plain.ns)} (target <= 10x)`,
      `empty hook / plain eBPF responder (dns_plain):     ${ratio(pass.ns, plain.ns)} (target <= 1.5x)`,
      `empty hook / empty eBPF program (pass_plain):      ${ratio(pass.ns, floor.ns)}`,
      `plain eBPF responder / empty eBPF program:         ${ratio(plain.ns, floor.ns)}`,
      stats,
      ...hookProfile,
      ...passProfile,
    );
    if (hook.retval !== 3 || plain.retval !== 3 || !same) lines.push("FAILED: both responders must answer (XDP_TX) with the same reply");
    if (pass.retval !== 2 || floor.retval !== 2) lines.push("FAILED: both empty programs must pass (XDP_PASS)");
  } catch (error) {
    lines.push(`FAILED: ${error instanceof Error ? error.message : String(error)}`);
  }
  fs.writeFileSync(path.join(out, "bench.txt"), lines.join("\n") + "\n");
}

async function host(runs: string): Promise<number> {
  const { VM_CACHE, VmUnavailable, bootVm, prepareVm } = await import("../vm/vm.js");
  const { udpPacket } = await import("../runtime/testing.js");
  let image;
  try {
    image = await prepareVm();
  } catch (error) {
    if (error instanceof VmUnavailable) {
      console.error(`bench:xdp needs the kernel VM: ${error.message}`);
      return 1;
    }
    throw error;
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "kscript-bench-xdp-"));
  try {
    run(process.execPath, [bin, "init", "xdp-dns", path.join(work, "dns")]);
    run(process.execPath, [bin, "build", path.join(work, "dns")]);
    // For scale: a hook that passes at once, built the same way.
    fs.mkdirSync(path.join(work, "pass", "src"), { recursive: true });
    fs.writeFileSync(path.join(work, "pass", "kscript.json"), '{ "hooks": [{ "name": "pass", "entry": "src/pass.ts", "target": "xdp" }] }\n');
    fs.writeFileSync(
      path.join(work, "pass", "src", "pass.ts"),
      'import { action, type Action } from "kscript/xdp";\n\nexport function callback(): Action {\n  return action.pass;\n}\n',
    );
    run(process.execPath, [bin, "build", path.join(work, "pass")]);
    run("cc", ["-O2", "-Wall", "-o", path.join(work, "xdp-run"), path.join(repo, "bench", "xdp-run.c"), "-lbpf"]);
    // A query as dig sends it without EDNS: ID 0x1234, RD, one question.
    const name = Buffer.concat(["www", "example", "test"].map((l) => Buffer.concat([Buffer.of(l.length), Buffer.from(l)])));
    const dns = Buffer.concat([Buffer.from("123401000001000000000000", "hex"), name, Buffer.from("0000010001", "hex")]);
    fs.writeFileSync(path.join(work, "query.bin"), udpPacket({ src: "10.53.0.1", dst: "10.53.0.2", srcPort: 40000, dstPort: 53, payload: dns }));
    const out = path.join(VM_CACHE, `bench-xdp-${process.pid}`);
    fs.rmSync(out, { recursive: true, force: true });
    const status = await bootVm(image, {
      runner: self,
      runnerArgs: ["guest", work, image.bpf, runs],
      cwd: repo,
      out,
      timeoutSeconds: 900,
      console: "file",
    });
    const report = path.join(out, "bench.txt");
    if (!fs.existsSync(report)) {
      console.error(`bench:xdp: the VM gave no report (qemu exit ${status}); see ${out}/console.log`);
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
  const [out, , work, bpf, runs] = process.argv.slice(2);
  guest(out, work, bpf, runs);
} else {
  process.exitCode = await host(process.argv[2] ?? "2000");
}
