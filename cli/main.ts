/**
 * The `kscript` command line. Exit status: 0 ok, 1 diagnostics, 2 usage or I/O error. Problems before a
 * build can start (a bad option, a missing folder, a broken kscript.json) get one line, never a stack trace.
 */
import fs from "node:fs";
import path from "node:path";
import type { Builder, BuildResult } from "../compiler/build.js";
import { UsageError, diagnostic, formatDiagnostic, type Diagnostic } from "../common/diagnostics.js";
import { formatTemplateList, initProject } from "./init.js";
import { KscriptError } from "../device/index.js";
import { VERSION as PROTOCOL_VERSION } from "../device/protocol.js";
import { sdkPackage } from "../common/paths.js";
import { DEVICE_COMMANDS, RCU_USAGE, runDeviceCommand, type DeviceCommand } from "./device.js";

const USAGE = `usage: kscript <command> [options]

start:
  init <template> [dir]    create a project from a template (default dir: the template's name)
  init --list              list the templates

build and check:
  build [dir]              compile the project's hooks into packages (<name>.lua, .kscript.json, .lua.map)
  check [dir]              report diagnostics only, write nothing
    --watch                rebuild when a source file changes
    --no-minify            keep the Lua readable
    --json                 print diagnostics as JSON (one object per build)

forwarding rules (templates/xdp-forward):
  rules check FILE         report errors in a rule file with line and column
  rules compile FILE [--name HOOK] [--json]   print the rcu entries (a kscript rcu set script, or JSON)

DNS zones (templates/xdp-dns):
  dns check ZONEFILE       report errors in a zone file (RFC 1035 master-file syntax) with line and column
  dns compile ZONEFILE [--name HOOK] [--json]   print its xdp-dns rcu entries (kscript rcu set --hex lines, or JSON)

test:
  test [dir] [vitest options]   run the project's tests (vitest) with kscript/testing wired to the local
                           engine (Fengari with the kernel's dialect, limits and emulated bindings)
  test --kernel [dir] [vitest options]   the same tests against the real kscript.ko: the loaded one, else in a qemu VM (root)

this machine's kernel:
  doctor                   what this machine has and lacks for kscript.ko, each missing piece with its fix
    --json                 the checks as JSON; exit 1 when any fails
  module build             build kscript.ko and kscript's tls.ko for the running kernel (its headers; module
                           BTF from /sys/kernel/btf/vmlinux), cached in kscript's cache folder
    --kdir DIR             against this kernel build folder instead (such as /usr/src/linux-headers-<version>)
    --btf FILE             that kernel's BTF when it is not running and /boot has no vmlinuz-<version>: its
                           image or its raw BTF (builds for a kernel before booting it are found once it runs)
  module install           build, install under /lib/modules/<version>/updates/kscript/, depmod, and register
                           with DKMS when installed (new kernels get it rebuilt) (root)
  module load              load kscript.ko and kscript's tls.ko in place of the distribution's (root)
    --param NAME=VALUE     a kscript.ko parameter (repeatable)
  module unload            unload both (root; refused while scripts or XDP interfaces use them)

kernel (root, with the kscript module loaded):
  deploy <package>         load a built package (dist/<name>.kscript.json or .lua) into the kernel
    --name NAME            load it under another name
    --target TARGET        for a plain module: the hook kind to load it as (xdp, tls, sock)
    --xdp IFACE            and run it for packets arriving on IFACE: XDP in generic mode, attached with
                           iproute2 (ip link set dev IFACE xdpgeneric obj …); IFACE in this network namespace
    --obj FILE             the XDP program to attach (default: kmod/bpf/kscript_xdp.bpf.c built with clang)
  detach <iface>           take the XDP hook off IFACE and unload its script (plain forwarding again)
  ls                       list loaded scripts
  stats [name]             calls, errors, budget hits and last error of loaded scripts
  unload <name>            unload a script (waits for calls in flight)
  rcu get NAME KEY | set NAME KEY VALUE [KEY VALUE…] | del NAME KEY   read or write a loaded xdp script's rcu
                           table (set: each pair in turn, all checked before the first is written)
    --hex                  KEY and VALUE are bytes written in hex (binary entries, as 'kscript dns compile' prints)
  vm [dir] [-- COMMAND…]   boot Debian's kernel in qemu with kscript.ko loaded and a shell in the project, or
                           run COMMAND there: its output, then its exit status (root; for trying hooks
                           without loading a module on this machine). Prints its output folder.
    --param NAME=VALUE     a kscript.ko parameter (repeatable: --param insn_limit=100000 --param pool_max=8)
    --no-module            boot without kscript.ko (kscript module load inside loads one)
    --timeout SECONDS      stop qemu after this long (default 3600)
    --cache DIR            kscript's cache (default $KSCRIPT_CACHE_DIR, else $XDG_CACHE_HOME/kscript,
                           ~/.cache/kscript; a git checkout of kscript keeps its own .cache/)

  -h, --help               show this help
  -V, --version            show the SDK's version and the /dev/kscript protocol it speaks
`;

interface Command {
  /** Positional arguments: [min, max]. */
  arity: readonly [number, number];
  flags: readonly string[];
  values: readonly string[];
  /** Options that may be given more than once. */
  lists?: readonly string[];
}

const COMMANDS: Record<string, Command> = {
  init: { arity: [0, 2], flags: ["list"], values: [] },
  build: { arity: [0, 1], flags: ["watch", "no-minify", "minify", "json"], values: [] },
  check: { arity: [0, 1], flags: ["watch", "no-minify", "minify", "json"], values: [] },
  deploy: { arity: [1, 1], flags: [], values: ["name", "target", "xdp", "obj"] },
  detach: { arity: [1, 1], flags: [], values: [] },
  ls: { arity: DEVICE_COMMANDS.ls, flags: [], values: [] },
  stats: { arity: DEVICE_COMMANDS.stats, flags: [], values: [] },
  unload: { arity: DEVICE_COMMANDS.unload, flags: [], values: [] },
  rcu: { arity: DEVICE_COMMANDS.rcu, flags: ["hex"], values: [] },
  vm: { arity: [0, 1], flags: ["no-module"], values: ["cache", "timeout"], lists: ["param"] },
  doctor: { arity: [0, 0], flags: ["json"], values: [] },
  module: { arity: [1, 1], flags: [], values: ["kdir", "btf"], lists: ["param"] },
};

interface Parsed {
  command: string;
  positional: string[];
  flags: Set<string>;
  values: Map<string, string>;
  lists: Map<string, string[]>;
  /** What follows `--` (kscript vm's command). */
  rest?: string[];
}

interface Options {
  command: "build" | "check";
  dir: string;
  watch: boolean;
  minify: boolean | undefined;
  json: boolean;
}

function usage(message: string): UsageError {
  return new UsageError(diagnostic("KS4001", [`${message} Run 'kscript --help' for usage.`]));
}

function parseArgs(argv: string[]): Parsed | "help" | "version" {
  const [command, ...rest] = argv;
  if (command === "-V" || command === "--version") {
    if (rest.length > 0) throw usage(`'${command}' takes no arguments, got ${rest.length}.`);
    return "version";
  }
  // `test` hands everything after the folder to vitest, its own --help included.
  if (command === "test") {
    const flags = new Set<string>();
    if (rest[0] === "--kernel") flags.add(rest.shift()!.slice(2));
    const dir = rest[0] !== undefined && !rest[0].startsWith("-") ? rest.shift()! : ".";
    return { command, positional: [dir, ...rest], flags, values: new Map(), lists: new Map() };
  }
  // `vm`'s command runs in the guest as given, its own options (--help included) with it.
  const dash = command === "vm" ? rest.indexOf("--") : -1;
  const after = dash >= 0 ? rest.splice(dash).slice(1) : undefined;
  if (argv.length === 0 || rest.some((a) => a === "-h" || a === "--help") || command === "-h" || command === "--help") return "help";
  const spec = COMMANDS[command];
  if (!spec) throw usage(`unknown command '${command}'.`);
  const parsed: Parsed = { command, positional: [], flags: new Set(), values: new Map(), lists: new Map(), rest: after };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (!arg.startsWith("--")) {
      parsed.positional.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s);
    if (spec.flags.includes(name) && inline === undefined) parsed.flags.add(name);
    else if (spec.values.includes(name) || spec.lists?.includes(name)) {
      const value = inline ?? rest[++i];
      if (value === undefined) throw usage(`'${arg}' needs a value.`);
      if (spec.values.includes(name)) parsed.values.set(name, value);
      else parsed.lists.set(name, [...(parsed.lists.get(name) ?? []), value]);
    } else throw usage(`unknown option '${arg}' for '${command}'.`);
  }
  const [min, max] = spec.arity;
  if (parsed.positional.length < min || parsed.positional.length > max) {
    const count = min === max ? String(min) : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw usage(`'${command}' takes ${count} argument${max === 1 ? "" : "s"}, got ${parsed.positional.length}.`);
  }
  return parsed;
}

function report(builder: Builder, result: BuildResult, options: Options, cwd: string, out: NodeJS.WriteStream): void {
  if (options.json) {
    out.write(JSON.stringify({ ok: result.ok, diagnostics: result.diagnostics, written: result.written }) + "\n");
    return;
  }
  for (const d of result.diagnostics) out.write(formatDiagnostic(d, cwd) + "\n");
  if (result.ok && options.command === "build") {
    for (const p of result.packages) {
      const file = path.relative(cwd, path.join(builder.project.outDir, `${p.name}.lua`));
      const kind = p.manifest.target === "module" ? "module" : `${p.manifest.target} hook`;
      out.write(`${file}: ${kind}, ${p.manifest.size} bytes (budget ${p.manifest.limits.size})\n`);
    }
  }
}

function runOnce(builder: Builder, options: Options): BuildResult {
  return builder.build({ write: options.command === "build", checkOnly: options.command === "check" });
}

export async function main(argv: string[], cwd = process.cwd()): Promise<number> {
  // Rule files have their own small command line (check/compile), with its own help; loaded on demand because
  // the parser library costs every other command's start-up time.
  if (argv[0] === "rules") return (await import("./rules.js")).rulesCommand(argv.slice(1), cwd);
  if (argv[0] === "dns") return (await import("./dns.js")).dnsCommand(argv.slice(1), cwd);
  try {
    const parsed = parseArgs(argv);
    if (parsed === "help") {
      process.stdout.write(USAGE);
      return 0;
    }
    if (parsed === "version") {
      process.stdout.write(`kscript ${sdkPackage.version} (${sdkPackage.name}), /dev/kscript protocol ${PROTOCOL_VERSION}\n`);
      return 0;
    }
    const [first] = parsed.positional;
    switch (parsed.command) {
      case "build":
      case "check":
        return await buildCommand({
          command: parsed.command,
          dir: first ?? ".",
          watch: parsed.flags.has("watch"),
          minify: parsed.flags.has("no-minify") ? false : parsed.flags.has("minify") ? true : undefined,
          json: parsed.flags.has("json"),
        }, cwd);
      case "init": {
        if (parsed.flags.has("list")) {
          process.stdout.write(formatTemplateList() + "\n");
          return 0;
        }
        if (first === undefined) throw usage("'init' needs a template name (kscript init --list shows them).");
        const { dir, files } = initProject(first, parsed.positional[1], cwd);
        const rel = path.relative(cwd, dir) || ".";
        process.stdout.write(`created ${rel} from '${first}' (${files.length} files)\nnext: cd ${rel} && npm install && npm test && npx kscript build\n`);
        return 0;
      }
      case "test": {
        const [dir, ...vitestArgs] = parsed.positional;
        const root = path.resolve(cwd, dir);
        if (!fs.existsSync(root)) throw new UsageError(diagnostic("KS4002", [root, "Give the folder of a kscript project."]));
        if (parsed.flags.has("kernel")) return await (await import("./vm.js")).testInKernel(root, vitestArgs);
        const { runTests } = await import("../runtime/run-tests.js");
        return await runTests(root, vitestArgs);
      }
      case "vm":
        return await (await import("./vm.js")).vmCommand(
          {
            dir: first ?? ".",
            cache: parsed.values.get("cache"),
            timeout: parsed.values.get("timeout"),
            params: parsed.lists.get("param") ?? [],
            module: !parsed.flags.has("no-module"),
            command: parsed.rest,
          },
          cwd,
        );
      case "module": {
        const { ModuleError, moduleCommand } = await import("./module.js");
        try {
          return await moduleCommand(first, { kdir: parsed.values.get("kdir"), btf: parsed.values.get("btf"), params: parsed.lists.get("param") ?? [] });
        } catch (error) {
          if (!(error instanceof ModuleError)) throw error;
          process.stderr.write(`kscript: ${error.message}\n`);
          return 1;
        }
      }
      case "doctor":
        return (await import("./doctor.js")).doctor(parsed.flags.has("json"));
      default:
        return await kernelCommand(parsed, cwd);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      printUsageError(error.diagnostic, cwd, argv.includes("--json"));
      return 2;
    }
    throw error;
  }
}

async function buildCommand(options: Options, cwd: string): Promise<number> {
  // Loaded here, not at the top: the compiler is most of the CLI's start-up time, and other commands skip it.
  // The project is read first, so that a bad folder or configuration is reported before the compiler loads.
  const { loadProject } = await import("../compiler/project.js");
  const project = loadProject(path.resolve(cwd, options.dir), { minify: options.minify });
  const { Builder } = await import("../compiler/build.js");
  const fromConfig = (dir: string) => new Builder(loadProject(dir, { minify: options.minify }));
  const builder = new Builder(project);
  const result = runOnce(builder, options);
  report(builder, result, options, cwd, process.stdout);
  if (!options.watch) return result.ok ? 0 : 1;
  return await watch(builder, fromConfig, options, cwd);
}

/** Kernel commands print their output, or one line of error and exit 1 when the kernel refuses. */
async function kernelCommand(parsed: Parsed, cwd: string): Promise<number> {
  const [first] = parsed.positional;
  if (parsed.command !== "deploy" && parsed.command !== "detach") {
    const status = runDeviceCommand(parsed.command as DeviceCommand, parsed.positional, parsed.flags.has("hex"));
    if (status === undefined) throw usage(RCU_USAGE);
    return status;
  }
  const kernel = await import("./kernel.js");
  let output: string;
  try {
    output =
      parsed.command === "deploy"
        ? kernel.deploy(path.resolve(cwd, first), {
            name: parsed.values.get("name"),
            target: parsed.values.get("target"),
            xdp: parsed.values.get("xdp"),
            obj: parsed.values.get("obj"),
          })
        : kernel.detach(first);
  } catch (error) {
    if (error instanceof KscriptError) {
      process.stderr.write(`kscript: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  process.stdout.write(output + "\n");
  return 0;
}

function printUsageError(d: Diagnostic, cwd: string, json: boolean): void {
  if (json) process.stdout.write(JSON.stringify({ ok: false, diagnostics: [d], written: [] }) + "\n");
  else process.stderr.write(`kscript: ${formatDiagnostic(d, cwd)}\n`);
}

/**
 * Rebuilds on every change to the project's sources or configuration until interrupted. Watches each folder
 * holding a source file (plain inotify watches, ready as soon as they are created), adding folders as
 * imports bring new ones in.
 */
function watch(initial: Builder, fromConfig: (dir: string) => Builder, options: Options, cwd: string): Promise<number> {
  let builder = initial;
  const { dir, outDir } = builder.project;
  const watchers = new Map<string, fs.FSWatcher>();
  const changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;

  const configFiles = new Set(["kscript.json", "tsconfig.json", "package.json"].map((f) => path.join(dir, f)));
  const rebuild = () => {
    if ([...changed].some((f) => configFiles.has(f))) {
      // New hooks, targets or compiler options: start over from the configuration.
      try {
        builder = fromConfig(dir);
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        printUsageError(error.diagnostic, cwd, options.json);
        changed.clear();
        return;
      }
    } else {
      for (const f of changed) builder.invalidate(f);
    }
    changed.clear();
    const started = performance.now();
    const result = runOnce(builder, options);
    report(builder, result, options, cwd, process.stdout);
    process.stderr.write(`kscript: rebuilt in ${Math.round(performance.now() - started)} ms\n`);
    watchFolders();
  };
  const watchFolders = () => {
    const folders = new Set([dir, ...builder.sourceFiles().map((f) => path.dirname(f))]);
    for (const folder of folders) {
      if (watchers.has(folder) || folder.startsWith(outDir + path.sep) || folder.split(path.sep).includes("node_modules")) continue;
      watchers.set(
        folder,
        fs.watch(folder, (_event, name) => {
          if (!name || !/\.(ts|json)$/.test(name.toString())) return;
          changed.add(path.join(folder, name.toString()));
          clearTimeout(timer);
          timer = setTimeout(rebuild, 30);
        }),
      );
    }
  };
  watchFolders();
  process.stderr.write(`kscript: watching ${path.relative(cwd, dir) || "."} for changes\n`);
  return new Promise((resolve) => {
    process.once("SIGINT", () => {
      for (const w of watchers.values()) w.close();
      clearTimeout(timer);
      resolve(0);
    });
  });
}
