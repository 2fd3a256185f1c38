/**
 * Project configuration: which hooks a folder builds, for which targets, where the packages go. Read from
 * `kscript.json`, or from a `kscript` section of `tsconfig.json`; a project that declares no hook builds
 * `src/index.ts` as a plain module.
 */
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import type ts from "./typescript.cjs";
import { XDP_CEILINGS, isTarget, type Target } from "../common/dialect.js";
import { UsageError, diagnostic } from "../common/diagnostics.js";
import type { Manifest } from "./package.js";

/** TypeScript, loaded for a tsconfig.json only: a missing folder or a bad kscript.json is reported at once. */
const typescript = (): typeof ts => createRequire(import.meta.url)("./typescript.cjs");

export interface HookSpec {
  name: string;
  /** Absolute path of the entry .ts file. */
  entry: string;
  target: Target | "module";
}

export interface Project {
  dir: string;
  hooks: HookSpec[];
  outDir: string;
  minify: boolean;
  limits: Partial<Manifest["limits"]>;
  compilerOptions: ts.CompilerOptions;
  /** The file the configuration came from, for messages. */
  configFile: string | undefined;
}

interface RawConfig {
  hooks?: { name?: unknown; entry?: unknown; target?: unknown }[];
  outDir?: unknown;
  minify?: unknown;
  limits?: Record<string, unknown>;
}

const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$/;

function configError(file: string, message: string): UsageError {
  return new UsageError(diagnostic("KS4003", [message], { file }));
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw configError(file, `cannot read it as JSON: ${(error as Error).message}.`);
  }
}

export function loadProject(
  dirArg: string,
  overrides: { minify?: boolean; /** Do not fall back to src/index.ts when no hook is declared. */ declaredHooksOnly?: boolean } = {},
): Project {
  const dir = path.resolve(dirArg);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new UsageError(diagnostic("KS4002", [dir, "Give the folder of a kscript project."]));
  }
  const tsconfigPath = path.join(dir, "tsconfig.json");
  let compilerOptions: ts.CompilerOptions = {};
  let raw: RawConfig | undefined;
  let configFile: string | undefined;
  if (fs.existsSync(tsconfigPath)) {
    const tsc = typescript();
    const read = tsc.readConfigFile(tsconfigPath, tsc.sys.readFile);
    if (read.error) throw configError(tsconfigPath, tsc.flattenDiagnosticMessageText(read.error.messageText, " "));
    const parsed = tsc.parseJsonConfigFileContent(read.config, tsc.sys, dir, undefined, tsconfigPath);
    compilerOptions = parsed.options;
    const section = (read.config as { kscript?: RawConfig }).kscript;
    if (section) {
      raw = section;
      configFile = tsconfigPath;
    }
  }
  const kscriptJson = path.join(dir, "kscript.json");
  if (fs.existsSync(kscriptJson)) {
    const value = readJson(kscriptJson);
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw configError(kscriptJson, "must hold an object such as { \"hooks\": [{ \"entry\": \"src/hook.ts\", \"target\": \"xdp\" }] }.");
    }
    raw = value as RawConfig;
    configFile = kscriptJson;
  }
  raw ??= {};
  const where = configFile ?? dir;

  const hooks: HookSpec[] = [];
  if (raw.hooks !== undefined && !Array.isArray(raw.hooks)) throw configError(where, "'hooks' must be a list.");
  for (const [i, h] of (raw.hooks ?? []).entries()) {
    if (typeof h !== "object" || h === null || typeof h.entry !== "string") {
      throw configError(where, `hooks[${i}] needs an 'entry' naming a .ts file, e.g. "src/hook.ts".`);
    }
    const entry = path.resolve(dir, h.entry);
    if (!fs.existsSync(entry)) throw new UsageError(diagnostic("KS4002", [entry, `It is hooks[${i}].entry in ${where}.`]));
    const target = h.target ?? "module";
    if (typeof target !== "string" || (target !== "module" && !isTarget(target))) {
      throw new UsageError(diagnostic("KS4004", [String(target)], { file: where }));
    }
    const name = h.name ?? path.basename(entry).replace(/\.ts$/, "");
    if (typeof name !== "string" || !NAME_PATTERN.test(name)) {
      throw configError(where, `hooks[${i}].name '${String(name)}' must be 1-63 letters, digits, '_', '.' or '-'.`);
    }
    if (hooks.some((other) => other.name === name)) throw configError(where, `two hooks are named '${name}'; names must be unique.`);
    hooks.push({ name, entry, target });
  }
  if (hooks.length === 0 && !overrides.declaredHooksOnly) {
    const entry = path.join(dir, "src", "index.ts");
    if (!fs.existsSync(entry)) {
      throw new UsageError(
        diagnostic("KS4002", [entry, "Create it, or declare hooks in kscript.json: { \"hooks\": [{ \"entry\": \"src/hook.ts\", \"target\": \"xdp\" }] }."]),
      );
    }
    hooks.push({ name: defaultName(dir), entry, target: "module" });
  }

  if (raw.outDir !== undefined && typeof raw.outDir !== "string") throw configError(where, "'outDir' must be a path.");
  if (raw.minify !== undefined && typeof raw.minify !== "boolean") throw configError(where, "'minify' must be true or false.");
  const limits = readLimits(raw.limits, hooks, where);
  return {
    dir,
    hooks,
    outDir: path.resolve(dir, (raw.outDir as string | undefined) ?? "dist"),
    minify: overrides.minify ?? (raw.minify as boolean | undefined) ?? true,
    limits,
    compilerOptions,
    configFile,
  };
}

const LIMIT_NAMES = ["size", "instructions", "memory", "time"] as const;

/** The project's limits; an xdp hook may not ask for more than softirq allows (XDP_CEILINGS). */
function readLimits(raw: unknown, hooks: readonly HookSpec[], where: string): Partial<Manifest["limits"]> {
  const bad = (name: string, why: string) => new UsageError(diagnostic("KS4006", [name, why], { file: where }));
  if (raw === undefined) return {};
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw bad("'limits'", "must be an object such as { \"instructions\": 100000 }");
  const limits: Partial<Manifest["limits"]> = {};
  for (const [key, value] of Object.entries(raw)) {
    const name = LIMIT_NAMES.find((n) => n === key);
    const what = `'limits.${key}'`;
    if (!name) throw bad(what, "is not a limit");
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) throw bad(what, `is ${JSON.stringify(value)}, not a positive integer`);
    if (hooks.some((h) => h.target === "xdp") && (name === "instructions" || name === "time") && value > XDP_CEILINGS[name]) {
      throw bad(what, `is ${value}, above ${XDP_CEILINGS[name]}, the most an xdp hook may take per call (it runs in softirq)`);
    }
    limits[name] = value;
  }
  return limits;
}

function defaultName(dir: string): string {
  const pkg = path.join(dir, "package.json");
  if (fs.existsSync(pkg)) {
    const name = (readJson(pkg) as { name?: unknown }).name;
    if (typeof name === "string") {
      const base = name.replace(/^@[^/]+\//, "");
      if (NAME_PATTERN.test(base)) return base;
    }
  }
  const base = path.basename(dir);
  return NAME_PATTERN.test(base) ? base : "module";
}
