/**
 * The `kscript` command line. Exit status: 0 ok, 1 diagnostics, 2 usage or I/O error. Problems before a
 * build can start (a bad option, a missing folder, a broken kscript.json) get one line, never a stack trace.
 */
import fs from "node:fs";
import path from "node:path";
import { Builder, type BuildResult } from "./build.js";
import { UsageError, diagnostic, formatDiagnostic, type Diagnostic } from "./diagnostics.js";
import { loadProject } from "./project.js";

const USAGE = `usage: kscript <command> [options]

commands:
  build [dir]    compile the project's hooks into packages (<name>.lua, .kscript.json, .lua.map)
  check [dir]    report diagnostics only, write nothing

options:
  --watch        rebuild when a source file changes
  --no-minify    keep the Lua readable
  --json         print diagnostics as JSON (one object per build)
  -h, --help     show this help
`;

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

function parseArgs(argv: string[]): Options | "help" {
  const positional: string[] = [];
  const options = { watch: false, minify: undefined as boolean | undefined, json: false };
  for (const arg of argv) {
    if (arg === "-h" || arg === "--help") return "help";
    else if (arg === "--watch" || arg === "-w") options.watch = true;
    else if (arg === "--no-minify") options.minify = false;
    else if (arg === "--minify") options.minify = true;
    else if (arg === "--json") options.json = true;
    else if (arg.startsWith("-")) throw usage(`unknown option '${arg}'.`);
    else positional.push(arg);
  }
  const [command, dir = ".", ...extra] = positional;
  if (command === undefined) return "help";
  if (command !== "build" && command !== "check") throw usage(`unknown command '${command}'.`);
  if (extra.length > 0) throw usage(`'${command}' takes one folder, got also '${extra.join(" ")}'.`);
  return { command, dir, ...options };
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
  let options: Options | "help";
  try {
    options = parseArgs(argv);
    if (options === "help") {
      process.stdout.write(USAGE);
      return 0;
    }
    const project = loadProject(path.resolve(cwd, options.dir), { minify: options.minify });
    const builder = new Builder(project);
    const result = runOnce(builder, options);
    report(builder, result, options, cwd, process.stdout);
    if (!options.watch) return result.ok ? 0 : 1;
    return await watch(builder, options, cwd);
  } catch (error) {
    if (error instanceof UsageError) {
      printUsageError(error.diagnostic, cwd, argv.includes("--json"));
      return 2;
    }
    throw error;
  }
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
function watch(builder: Builder, options: Options, cwd: string): Promise<number> {
  const { dir, outDir } = builder.project;
  const watchers = new Map<string, fs.FSWatcher>();
  const changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;

  const rebuild = () => {
    for (const f of changed) builder.invalidate(f);
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
