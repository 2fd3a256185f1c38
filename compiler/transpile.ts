/**
 * Transpile: drives TypeScript-to-Lua through its API over a TypeScript program, with the kscript plugin and
 * kscript's integer-clean lualib, and returns one Lua module per TypeScript file (code and source map), in
 * memory. Bundling is the packager's job, so one program serves every hook of a project.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import ts from "./typescript.cjs";
import tstl from "./tstl.cjs";
import { buildMinimalLualibBundle, findUsedLualibFeatures } from "typescript-to-lua/dist/LuaLib.js";
import { createPlugin } from "./plugin.js";
import { privateNamesTransformer } from "./private-names.js";
import { decodeMap, type DecodedMap, type SourceMapV3 } from "./sourcemap.js";
import { packageRoot } from "../common/paths.js";

export interface LuaModule {
  /** The name other modules `require` it by. */
  name: string;
  code: string;
  map: DecodedMap;
  /** The TypeScript file it came from (absolute), or undefined for the lualib bundle. */
  sourceFile: string | undefined;
}

export interface TranspileResult {
  modules: Map<string, LuaModule>;
  diagnostics: readonly ts.Diagnostic[];
}

const require = createRequire(import.meta.url);

/** Where the transpiler pretends to write; nothing is written there. */
const VIRTUAL_OUT = "/__kscript_out__";

const STDLIB_DIR = path.join(packageRoot, "stdlib");
const LUALIB_DIR = path.join(packageRoot, "compiler", "lualib");
const LANGUAGE_EXTENSIONS = path.join(
  path.dirname(require.resolve("@typescript-to-lua/language-extensions/package.json")),
  "index.d.ts",
);

export const stdlibDir = STDLIB_DIR;

/** TypeScript files under stdlib/ that are bundled helpers (as opposed to declarations of globals). */
export function helperModules(): Set<string> {
  return new Set(
    fs
      .readdirSync(STDLIB_DIR)
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
      .map((f) => f.slice(0, -3)),
  );
}

/**
 * The compiler options every kscript build uses, on top of whatever the project's tsconfig says: the
 * dialect's lib (ES only: no DOM, no Node), Lua 5.3 without implicit self, kscript's module paths.
 */
export function kscriptCompilerOptions(projectDir: string, projectOptions: ts.CompilerOptions = {}): tstl.CompilerOptions {
  return {
    strict: true,
    ...projectOptions,
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2022.d.ts"],
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    moduleDetection: ts.ModuleDetectionKind.Force,
    types: [],
    paths: { "kscript/*": [path.join(STDLIB_DIR, "*")] },
    noEmit: false,
    noEmitOnError: false,
    declaration: false,
    composite: false,
    incremental: false,
    sourceMap: true,
    inlineSourceMap: false,
    outDir: VIRTUAL_OUT,
    // Bundled stdlib helpers live outside the project, so the root spans both.
    rootDir: commonAncestor(projectDir, STDLIB_DIR),
    skipLibCheck: true,
    luaTarget: tstl.LuaTarget.Lua53,
    noImplicitSelf: true,
    luaLibImport: tstl.LuaLibImportKind.RequireMinimal,
    noHeader: true,
    luaBundle: undefined,
    luaBundleEntry: undefined,
    sourceMapTraceback: false,
  };
}

function commonAncestor(a: string, b: string): string {
  const pa = path.resolve(a).split(path.sep);
  const pb = path.resolve(b).split(path.sep);
  let i = 0;
  while (i < pa.length && i < pb.length && pa[i] === pb[i]) i++;
  return pa.slice(0, i).join(path.sep) || path.sep;
}

/** Files every kscript program includes besides the project's: TSTL's language extensions. */
export const extraRootFiles: readonly string[] = [LANGUAGE_EXTENSIONS];

/**
 * An emit host that serves kscript's integer-only replacements for TSTL's float-dirty lualib features, and
 * makes the stock features read base functions directly instead of through `_G` (which hooks do not have)
 * and use Lua 5.3's `table.unpack` without probing for the 5.1 global `unpack`.
 */
function createEmitHost(): tstl.EmitHost {
  const overrides = new Map<string, { code: string; dependencies: string[] }>();
  for (const file of fs.readdirSync(path.join(LUALIB_DIR, "tstl"))) {
    const code = fs.readFileSync(path.join(LUALIB_DIR, "tstl", file), "utf8");
    const header = /^-- dependencies: (.*)\n/.exec(code);
    overrides.set(file.replace(/\.lua$/, ""), {
      code: header ? code.slice(header[0].length) : code,
      dependencies: header ? header[1].split(",").map((d) => d.trim()) : [],
    });
  }
  return {
    directoryExists: ts.sys.directoryExists,
    fileExists: ts.sys.fileExists,
    getCurrentDirectory: ts.sys.getCurrentDirectory,
    writeFile: () => {},
    readFile(file: string) {
      const base = path.basename(file);
      if (!/[\\/]lualib[\\/](universal|5\.0)[\\/]/.test(file)) return ts.sys.readFile(file);
      if (base === "lualib_module_info.json") {
        const info = JSON.parse(ts.sys.readFile(file) ?? "{}") as Record<string, { dependencies?: string[] }>;
        for (const [feature, { dependencies }] of overrides) {
          if (info[feature]) info[feature].dependencies = dependencies;
        }
        return JSON.stringify(info);
      }
      const override = overrides.get(base.replace(/\.lua$/, ""));
      if (override) return override.code;
      return ts.sys
        .readFile(file)
        ?.replace(/\b_G\.(\w+)/g, "$1")
        .replace(/\b(?:unpack or table\.unpack|table\.unpack or unpack)\b/g, "table.unpack")
        // "No limit" spelled 2^32-1 (String.split); 2^31-1 is as unlimited for any string a hook can hold, and
        // the local emulator, whose integers are 32-bit, holds it exactly.
        .replace(/\b4294967295\b/g, "2147483647");
    },
  };
}

const emitHost = createEmitHost();

/** The name TSTL's modules require the lualib by. */
export const LUALIB_MODULE = "lualib_bundle";

/**
 * The lualib module for a set of modules: only the features they use (and what those need), so each hook
 * carries its own minimal lualib rather than the union of the whole project's.
 */
export function lualibModule(modules: readonly LuaModule[]): LuaModule | undefined {
  const codes = modules.map((m) => m.code);
  const features = findUsedLualibFeatures(tstl.LuaTarget.Lua53, emitHost, codes);
  if (features.size === 0) return undefined;
  const code = buildMinimalLualibBundle(features, tstl.LuaTarget.Lua53, emitHost);
  return { name: LUALIB_MODULE, code, map: { sources: [], lines: [] }, sourceFile: undefined };
}
const plugin = createPlugin({ stdlibDir: STDLIB_DIR });

/** Module name of an emitted Lua file: its path under the output dir, dotted, as TSTL's requires spell it. */
function moduleName(emittedPath: string): string {
  return dotted(path.relative(VIRTUAL_OUT, emittedPath).replace(/\.lua$/, ""));
}

function dotted(relativePath: string): string {
  return relativePath.split(path.sep).join(".");
}

/**
 * The module name TSTL gives a folder under the root dir: its path dotted, with dots inside names written as
 * underscores, and `node_modules` as `lua_modules` (where the SDK sits inside an installed project).
 */
function emittedName(relativePath: string): string {
  const segments = relativePath.split(path.sep).filter((s) => s !== ".." && s !== "");
  if (segments[0] === "node_modules") segments[0] = "lua_modules";
  return segments.map((s) => s.replace(/\./g, "_")).join(".");
}

/**
 * TSTL names modules by their path under the root dir, which spans the project and kscript's stdlib, so
 * names carry the project's whole location. Packages ship these names (and size budgets are tight), so they
 * are shortened to the path inside the project, or `kscript.<name>` for stdlib helpers.
 */
function shortener(program: ts.Program, projectDir: string): (name: string) => string {
  const rootDir = program.getCompilerOptions().rootDir ?? projectDir;
  const prefixes: [string, string][] = [
    [emittedName(path.relative(rootDir, projectDir)), ""],
    [emittedName(path.relative(rootDir, STDLIB_DIR)), "kscript."],
  ];
  return (name) => {
    for (const [prefix, replacement] of prefixes) {
      if (prefix !== "" && name.startsWith(prefix + ".")) return replacement + name.slice(prefix.length + 1);
    }
    return name;
  };
}

export function transpileProgram(
  program: ts.Program,
  projectDir: string,
  sourceFiles?: readonly ts.SourceFile[],
): TranspileResult {
  const code = new Map<string, { code: string; sourceFile: string | undefined }>();
  const maps = new Map<string, SourceMapV3>();
  const result = new tstl.Transpiler({ emitHost }).emit({
    program,
    sourceFiles: sourceFiles ? [...sourceFiles] : undefined,
    plugins: [plugin],
    customTransformers: { before: [privateNamesTransformer(program.getTypeChecker())] },
    writeFile(fileName, data, _bom, _onError, sources) {
      if (fileName.endsWith(".lua.map")) {
        maps.set(fileName.slice(0, -4), JSON.parse(data) as SourceMapV3);
      } else if (fileName.endsWith(".lua")) {
        code.set(fileName, { code: data, sourceFile: sources?.[0]?.fileName });
      }
    },
  });
  const shorten = shortener(program, projectDir);
  const modules = new Map<string, LuaModule>();
  for (const [fileName, { code: text, sourceFile }] of code) {
    const longName = moduleName(fileName);
    if (longName === LUALIB_MODULE) continue; // each package gets its own, see lualibModule
    const raw = maps.get(fileName);
    const map = raw ? decodeMap(raw) : { sources: [], lines: [] };
    // TSTL writes sources relative to the .lua file; make them absolute so every consumer agrees.
    map.sources = map.sources.map((s) => path.resolve(path.dirname(fileName), s));
    const name = shorten(longName);
    const renamed = text.replace(/\brequire\("([^"]+)"\)/g, (_, required: string) => `require(${JSON.stringify(shorten(required))})`);
    modules.set(name, { name, code: renamed, map, sourceFile });
  }
  return { modules, diagnostics: result.diagnostics };
}
