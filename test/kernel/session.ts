/**
 * The kernel suites' one set-up. vitest's global set-up (global-setup.ts) runs `runSession` once: provision,
 * build the module, the guest's client and the suites' projects, then boot the VM as few times as the suites
 * allow — a few `kscript vm` sessions side by side (lanes: session.ts, suites.ts), each running its suites
 * one after another through test/kernel/guest/suites.ts. Each kernel test file waits for its suite with
 * `suiteRun` (results.ts) and judges what the suite left in its folder.
 *
 * Cannot run here (not root, not x86-64 Linux, packages not installable): the kernel tests skip with the
 * reason, or fail with KSCRIPT_REQUIRE_KERNEL=1 (CI).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { finished } from "../../common/child.js";
import { packageRoot } from "../../common/paths.js";
import { VM_CACHE, VmUnavailable, buildVm, provisionVm, readInitLog, type Kernel, type VmImage } from "../../vm/vm.js";
import type { Plan, SuiteStatus } from "./guest/suites.js";

/** Kernel log lines that fail any kernel test: the module must never oops, warn or leak a BUG. */
export const BAD_KERNEL_LOG = /Oops|BUG:|WARNING:|kernel BUG|general protection|Call Trace|Kernel panic|stack-protector|RIP: 0010/;
/** Taint bits a test module may set: O (out-of-tree, 4096) and E (unsigned, 8192). */
export const ALLOWED_TAINT = 4096 | 8192;

const bin = path.join(packageRoot, "bin", "kscript.js");
/** The host stops a VM that shows no progress (console output, files in its share) for this long. */
const HOST_IDLE_SECONDS = 600;
/** A lane's whole run (the idle limit above is what stops a stuck one; this only bounds `kscript vm`). */
const LANE_TIMEOUT_SECONDS = 6 * 3600;

/**
 * a, b, c: a VM with the repository's kscript.ko loaded, running its suites in turn. h: the host suite's VM,
 * booted without kscript.ko by an installed SDK's `kscript vm -- …`, the guest acting as a host (one suite).
 */
export type Lane = "a" | "b" | "c" | "h";

/** What a suite's host-side preparation gets. */
export interface HostContext {
  /** The kernel under test, provisioned (its headers installed on the host). */
  kernel: Kernel;
  /** The VM's image once built: preparations start beside the module build and await it only for its paths. */
  image: Promise<VmImage>;
  /** A folder of the session for the suite's files (the guest sees it, read-only). */
  work: string;
  /** Where the guest's compiled JavaScript is (test/kernel/… keeps its layout under it). */
  js: string;
  /** The session's build cache (KSCRIPT_CACHE_DIR): hooks built here on the host load in the guest without the compiler. */
  cache: string;
  /** Runs the real CLI on the host; rejects with its output when it fails. */
  kscript(args: string[], cwd?: string): Promise<string>;
}

export interface Suite {
  name: string;
  lane: Lane;
  /**
   * Builds what the suite needs on the host and returns the shell script the guest runs, and where; for lane
   * h, also the `kscript` command that boots the VM.
   */
  prepare(ctx: HostContext): Promise<{ cwd: string; script: string; vm?: string }>;
}

/**
 * Shell functions the suites wait with: for a state, never for a fixed time that a busy machine may overrun
 * (the guest runner stops a suite that makes no progress).
 *   listening PORT PID  until a TCP socket listens on PORT, or the process PID (the server) has exited
 *   connected PORT N    until N connections to the local PORT are established
 */
export const WAIT_HELPERS = `listening() { p=$(printf ':%04X 00000000:0000 0A' "$1"); until grep -q "$p" /proc/net/tcp /proc/net/tcp6 || ! kill -0 "$2"; do sleep 0.1; done; }
connected() { until [ "$(grep -cE "$(printf ':%04X [0-9A-F]{8}:[0-9A-F]{4} 01' "$1")" /proc/net/tcp)" -ge "$2" ]; do sleep 0.1; done; }
`;

/**
 * A script running each command in turn and echoing its exit status after its output (`[status N]`), so a
 * test reads exit codes as well as output — as a user would see them typing the commands at a shell.
 */
export function commandScript(commands: string[]): string {
  return WAIT_HELPERS + commands.map((c) => `${c}\necho "[status $?]"`).join("\n") + "\n";
}

export interface SessionFile {
  /** Why the kernel tests cannot run here (they skip). */
  skip?: string;
  /** The session failed (the tests fail with this). */
  error?: string;
  /** Each lane's `kscript vm` output folder (init.log, dmesg.txt, one folder per suite). */
  lanes: Partial<Record<Lane, string>>;
  suites: Record<string, Lane>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * This process's folder for a kernel session (`session-<pid>` in the VM cache), after removing those of
 * finished sessions; a concurrent session (another process on the same cache) keeps its own.
 */
export function sessionFolder(): string {
  mkdirSync(VM_CACHE, { recursive: true });
  for (const old of readdirSync(VM_CACHE)) {
    const pid = /^session-(\d+)$/.exec(old)?.[1];
    if (pid !== undefined && !alive(Number(pid))) rmSync(path.join(VM_CACHE, old), { recursive: true, force: true });
  }
  const dir = path.join(VM_CACHE, `session-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Resolves with a child's output; rejects with it when the child fails. */
async function exec(cmd: string, args: string[], cwd: string): Promise<string> {
  const { status, signal, stdout, stderr } = await finished(cmd, args, { cwd });
  if (status !== 0) throw new Error(`${cmd} ${args.join(" ")} (exit ${status ?? signal}):\n${stdout}${stderr}`);
  return stdout + stderr;
}

/** At most `n` of the returned function's tasks at a time (the host has two cores). */
function limit(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const queue: (() => void)[] = [];
  return async (task) => {
    // A finished task hands its slot to the next waiting one, so no newcomer slips in between.
    if (running < n) running++;
    else await new Promise<void>((r) => queue.push(r));
    try {
      return await task();
    } finally {
      const next = queue.shift();
      if (next) next();
      else running--;
    }
  };
}

function bytesUnder(dir: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    n += e.isDirectory() ? bytesUnder(p) : (statSync(p, { throwIfNoEntry: false })?.size ?? 0);
  }
  return n;
}

const seconds = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

/**
 * Boots one lane: `kscript vm` in the repo, with the suites' runner typed at its shell. TMPDIR tells
 * `kscript vm` where to put its share, so its results land in `dir`. Resolves with that share.
 */
function bootLane(lane: Lane, dir: string, js: string, planFile: string, log: (line: string) => void): Promise<string> {
  const child: ChildProcess = spawn(process.execPath, [bin, "vm", packageRoot, "--timeout", String(LANE_TIMEOUT_SECONDS)], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, TMPDIR: dir } });
  const t0 = performance.now();
  let output = "";
  let reported = 0;
  let typed = false;
  let progress = 0;
  let idle = 0;
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    if (!typed && output.includes("kscript.ko is loaded")) {
      typed = true;
      log(`lane ${lane}: booted in ${seconds(t0)}`);
      const runner = path.join(js, "test/kernel/guest/suites.js");
      child.stdin!.write(`node ${runner} /run/kscript-out ${planFile}; echo "[suites $?]"\nexit\n`);
    }
    // The guest runner's account of each suite, as whole lines come in.
    const lines = output.slice(reported).split("\n");
    reported = output.length - lines.pop()!.length;
    for (const line of lines) {
      const m = /^suite (\S+): (?!started)(.*)$/.exec(line.trim());
      if (m) log(`lane ${lane}: ${m[1]}: ${m[2]}`);
    }
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  // Stopped only when neither the console nor the share shows progress: a slow machine is not a hung guest.
  const watchdog = setInterval(() => {
    const now = output.length + bytesUnder(dir);
    idle = now === progress ? idle + 1 : 0;
    progress = now;
    if (idle === HOST_IDLE_SECONDS) {
      log(`lane ${lane}: no progress for ${HOST_IDLE_SECONDS} s, stopping the VM`);
      child.kill("SIGTERM"); // kscript vm stops its qemu
    }
  }, 1000);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", () => {
      clearInterval(watchdog);
      writeFileSync(path.join(dir, "console.log"), output.replace(/\r/g, ""));
      const share = readdirSync(dir).find((f) => f.startsWith("kscript-vm-"));
      if (share === undefined) return reject(new Error(`lane ${lane}: kscript vm made no share:\n${output}`));
      log(`lane ${lane}: powered off after ${seconds(t0)}`);
      resolve(path.join(dir, share));
    });
  });
}

/**
 * Boots lane h: `VM vm --no-module CWD -- sh SCRIPT` (an installed SDK's kscript), and files its output and exit
 * status as the guest runner files a suite's (SUITE/log, SUITE/status.json in the share), so the suite is
 * judged as the others are. What it left behind: kscript.ko still loaded at power-off.
 */
function bootHostLane(dir: string, suite: { name: string; cwd: string; script: string; vm: string }, log: (line: string) => void): Promise<string> {
  const script = path.join(dir, "script.sh");
  writeFileSync(script, suite.script);
  // One stream, so that each command's messages stay before its `[status N]`.
  const t0 = performance.now();
  const child = spawn(suite.vm, ["vm", suite.cwd, "--no-module", "--timeout", String(LANE_TIMEOUT_SECONDS), "--", "sh", "-c", `exec sh ${script} 2>&1`], {
    stdio: ["ignore", "pipe", "pipe"],
    // The repository's cache: the installed SDK boots the same image the other lanes use (its own default
    // would be ~/.cache/kscript, provisioned and built again).
    env: { ...process.env, TMPDIR: dir, KSCRIPT_CACHE_DIR: path.join(packageRoot, ".cache") },
  });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (status) => {
      const share = readdirSync(dir).find((f) => f.startsWith("kscript-vm-"));
      if (share === undefined) return reject(new Error(`lane h: kscript vm made no share:\n${output}`));
      const out = path.join(dir, share);
      const suiteDir = path.join(out, suite.name);
      mkdirSync(suiteDir, { recursive: true });
      writeFileSync(path.join(suiteDir, "log"), output);
      const consoleLog = path.join(out, "console.log");
      writeFileSync(path.join(dir, "console.log"), existsSync(consoleLog) ? readFileSync(consoleLog, "utf8").replace(/\r/g, "") : "");
      const leftLoaded = readInitLog(out).has("left-loaded");
      const result: SuiteStatus = { name: suite.name, status, seconds: (performance.now() - t0) / 1000, cleared: leftLoaded ? ["kscript.ko (still loaded at power-off)"] : [] };
      writeFileSync(path.join(suiteDir, "status.json"), JSON.stringify(result) + "\n");
      log(`lane h: ${suite.name}: exit ${status} in ${seconds(t0)}`);
      resolve(out);
    });
  });
}

/** The whole session; writes `session.json` in `dir` when done, whatever happened. */
export async function runSession(dir: string, suites: readonly Suite[], log: (line: string) => void): Promise<void> {
  const file: SessionFile = { lanes: {}, suites: Object.fromEntries(suites.map((s) => [s.name, s.lane])) };
  try {
    let kernel: Kernel;
    const t0 = performance.now();
    try {
      kernel = await provisionVm();
    } catch (error) {
      if (!(error instanceof VmUnavailable)) throw error;
      if (process.env.KSCRIPT_REQUIRE_KERNEL === "1") throw new Error(`KSCRIPT_REQUIRE_KERNEL=1 but the kernel tests cannot run: ${error.message}`);
      file.skip = error.message;
      log(`kernel tests skipped: ${error.message}`);
      return;
    }
    log(`kernel ${kernel.kver}: provisioned in ${seconds(t0)}`);
    const t1 = performance.now();
    const image = buildVm(VM_CACHE, kernel).then((built) => {
      log(`kernel: module build ${seconds(t1)}`);
      return built;
    });
    // Awaited by the preparations that need its paths; a failed build fails those lanes, not the process.
    image.catch(() => undefined);
    const js = path.join(dir, "js");
    const slot = limit(2);
    const client = slot(() =>
      exec(process.execPath, [path.join(packageRoot, "node_modules/typescript/bin/tsc"), "-p", path.join(packageRoot, "test/kernel/guest/tsconfig.json"), "--outDir", js], packageRoot),
    ).then(() => log(`kernel: client build ${seconds(t1)}`));
    // Awaited by the lanes that boot with it; a run of lane h alone must not leave its failure unhandled.
    client.catch(() => undefined);
    const ctx = (name: string): HostContext => {
      const work = path.join(dir, "work", name);
      mkdirSync(work, { recursive: true });
      return { kernel, image, work, js, cache: path.join(dir, "cache"), kscript: (args, cwd = work) => slot(() => exec(process.execPath, [bin, ...args], cwd)) };
    };
    // Each lane boots as soon as its own suites are ready (lane h, the longest, needs neither the guest's
    // client nor the other lanes' projects).
    const preparing = new Map(suites.map((s) => [s, s.prepare(ctx(s.name)).then((p) => ({ suite: s, ...p }))]));
    const prepared = (lane: Lane) => Promise.all(suites.filter((s) => s.lane === lane).map((s) => preparing.get(s)!));
    const lanes = [...new Set(suites.map((s) => s.lane))];
    await Promise.all(
      lanes.map(async (lane) => {
        const own = await prepared(lane);
        const laneDir = path.join(dir, `lane-${lane}`);
        mkdirSync(laneDir);
        if (lane === "h") {
          if (own.length !== 1 || own[0].vm === undefined) throw new Error("lane h runs one suite, booted by the kscript its prepare names (vm)");
          log(`lane h: prepared in ${seconds(t1)}`);
          file.lanes[lane] = await bootHostLane(laneDir, { name: own[0].suite.name, cwd: own[0].cwd, script: own[0].script, vm: own[0].vm }, log);
          return;
        }
        await client;
        log(`lane ${lane}: client and projects built in ${seconds(t1)}`);
        await image;
        const plan: Plan = { repo: packageRoot, suites: own.map((p) => ({ name: p.suite.name, cwd: p.cwd, script: p.script })) };
        const planFile = path.join(laneDir, "plan.json");
        writeFileSync(planFile, JSON.stringify(plan, null, 1));
        file.lanes[lane] = await bootLane(lane, laneDir, js, planFile, log);
      }),
    );
  } catch (error) {
    file.error = error instanceof Error ? (error.stack ?? error.message) : String(error);
    log(`kernel session failed: ${file.error}`);
  } finally {
    writeFileSync(path.join(dir, "session.json"), JSON.stringify(file));
  }
}
