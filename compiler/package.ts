/**
 * The packager: turns a hook's transpiled modules into the one chunk the kernel loads. The chunk defines the
 * helpers it uses, a module table and a local `require` that only knows bundled modules (it never reads the
 * global `require`), runs the entry module, defines the global entry the kernel calls, and returns the entry
 * module's exports. It is minified unless asked not to, checked at the Lua level, and held to a size budget.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { BINDINGS, DEFAULT_LIMITS, SIZE_BUDGET, TARGET_ENTRY, type Limits, type Target } from "../common/dialect.js";
import { diagnostic, type Diagnostic } from "../common/diagnostics.js";
import { checkLua } from "./check-lua.js";
import { minifyLua } from "./lua/minify.js";
import { packageRoot } from "../common/paths.js";
import { compose, encodeMap, lookup, type DecodedMap, type Segment, type SourceMapV3 } from "./sourcemap.js";
import { LUALIB_MODULE, lualibModule, type LuaModule } from "./transpile.js";
import { HELPER_PREFIX } from "./plugin.js";

export interface Manifest {
  name: string;
  target: Target | "module";
  /** The global the kernel calls, or null for a plain module. */
  entry: string | null;
  size: number;
  sha256: string;
  dialect: "lua5.3-int64";
  bindings: string[];
  /** The script's size budget (bytes), and what each call may spend (common/dialect.ts Limits). */
  limits: { size: number } & Limits;
}

export interface HookPackage {
  name: string;
  lua: string;
  manifest: Manifest;
  /** Source map with absolute source paths. */
  map: SourceMapV3;
}

export interface PackageOptions {
  name: string;
  target: Target | "module";
  entryModule: string;
  modules: ReadonlyMap<string, LuaModule>;
  /** The entry's module closure, when the caller has computed it already (see moduleClosure). */
  closure?: LuaModule[];
  minify: boolean;
  limits?: Partial<Manifest["limits"]>;
}

const HELPERS_DIR = path.join(packageRoot, "compiler", "lualib", "kscript");
const REQUIRE_PATTERN = /\brequire\("([^"]+)"\)/g;

const LOADER = `local ____modules = {}
local ____loaded = {}
local function require(name)
    local loaded = ____loaded[name]
    if loaded == nil then
        local module = ____modules[name]
        if module == nil then
            error("module '" .. tostring(name) .. "' is not in the bundle", 2)
        end
        loaded = {module(name)}
        ____loaded[name] = loaded
    end
    return loaded[1]
end
`;

/** A chunk under construction: text and, per line, where it came from. */
class ChunkBuilder {
  private lines: string[] = [];
  private mapLines: Segment[][] = [];
  /** Chunk line ranges (0-based, end exclusive) of each module's code. */
  readonly moduleLines = new Map<string, [number, number]>();

  constructor(private readonly sources: string[]) {}

  generated(text: string): void {
    for (const line of splitLines(text)) {
      this.lines.push(line);
      this.mapLines.push([]);
    }
  }

  module(module: LuaModule): void {
    const start = this.lines.length;
    const sourceIndex = (s: string) => {
      let i = this.sources.indexOf(s);
      if (i < 0) i = this.sources.push(s) - 1;
      return i;
    };
    splitLines(module.code).forEach((line, i) => {
      this.lines.push(line);
      this.mapLines.push(
        (module.map.lines[i] ?? []).map((s) => ({ ...s, source: sourceIndex(module.map.sources[s.source]) })),
      );
    });
    this.moduleLines.set(module.name, [start, this.lines.length]);
  }

  get text(): string {
    return this.lines.join("\n") + "\n";
  }

  get map(): DecodedMap {
    return { sources: this.sources, lines: this.mapLines };
  }

  moduleAt(line: number): string | undefined {
    for (const [name, [start, end]] of this.moduleLines) if (line >= start && line < end) return name;
    return undefined;
  }
}

function splitLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** The modules the entry needs, in a stable order (dependencies first). */
export function moduleClosure(entry: string, modules: ReadonlyMap<string, LuaModule>): LuaModule[] {
  const order: LuaModule[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name) || name === LUALIB_MODULE) return;
    seen.add(name);
    const module = modules.get(name);
    if (!module) return; // the Lua-level check reports the unresolved require
    for (const m of module.code.matchAll(REQUIRE_PATTERN)) visit(m[1]);
    order.push(module);
  };
  visit(entry);
  const lualib = lualibModule(order);
  return lualib ? [lualib, ...order] : order;
}

function helperSources(modules: readonly LuaModule[]): string {
  const names = new Set<string>();
  const pattern = new RegExp(`\\b${HELPER_PREFIX}(\\w+)`, "g");
  for (const m of modules) for (const match of m.code.matchAll(pattern)) names.add(match[1]);
  return [...names]
    .sort()
    .map((n) => fs.readFileSync(path.join(HELPERS_DIR, `${HELPER_PREFIX}${n}.lua`), "utf8"))
    .join("");
}

export interface PackageResult {
  package?: HookPackage;
  diagnostics: Diagnostic[];
}

export function packageHook(options: PackageOptions): PackageResult {
  const { name, target, entryModule } = options;
  const modules = options.closure ?? moduleClosure(entryModule, options.modules);
  const entryGlobal = target === "module" ? null : TARGET_ENTRY[target];

  const builder = new ChunkBuilder([]);
  builder.generated(helperSources(modules));
  builder.generated(LOADER);
  for (const module of modules) {
    builder.generated(`____modules[${JSON.stringify(module.name)}] = function(...)`);
    builder.module(module);
    builder.generated("end");
  }
  builder.generated(`local ____exports = require(${JSON.stringify(entryModule)})`);
  if (entryGlobal) builder.generated(`${entryGlobal} = ____exports.${entryGlobal}`);
  builder.generated("return ____exports");

  const chunkText = builder.text;
  const chunkMap = builder.map;
  let lua = chunkText;
  let toChunk: DecodedMap | undefined;
  if (options.minify) {
    const minified = minifyLua(chunkText, { keep: new Set(["require"]) });
    lua = minified.text;
    toChunk = minified.map;
  }
  const finalMap = toChunk ? compose(toChunk, chunkMap) : chunkMap;

  const diagnostics: Diagnostic[] = [];
  const entrySource = options.modules.get(entryModule)?.sourceFile;
  const violations = checkLua(lua, {
    target,
    modules: new Set(modules.map((m) => m.name)),
    definedGlobals: new Set(entryGlobal ? [entryGlobal] : []),
  });
  for (const v of violations) {
    const chunkPos = toChunk ? lookup(toChunk, v.line - 1, v.column) : { sourceLine: v.line - 1, sourceColumn: v.column };
    const place = chunkPos && locate(chunkPos.sourceLine, chunkPos.sourceColumn, builder, chunkMap, modules);
    diagnostics.push(
      diagnostic(v.code, v.args, place ?? { file: entrySource }),
    );
  }

  const size = Buffer.byteLength(lua);
  const budget = options.limits?.size ?? SIZE_BUDGET[target];
  if (size > budget) {
    diagnostics.push(
      diagnostic(
        "KS3001",
        [
          name,
          size,
          budget,
          target,
          target === "tls" || target === "module"
            ? "Shrink the hook, or raise limits.size in kscript.json."
            : "The kernel rejects larger scripts for this target: move work out of the hook or split it.",
        ],
        { file: entrySource },
      ),
    );
  }
  if (diagnostics.length > 0) return { diagnostics };

  const bindings = Object.keys(BINDINGS).filter((b) => new RegExp(`\\b${b}\\b`).test(lua));
  const manifest: Manifest = {
    name,
    target,
    entry: entryGlobal,
    size,
    sha256: crypto.createHash("sha256").update(lua).digest("hex"),
    dialect: "lua5.3-int64",
    bindings,
    limits: { size: budget, ...DEFAULT_LIMITS, ...stripUndefined(options.limits ?? {}) },
  };
  return { package: { name, lua, manifest, map: encodeMap(finalMap, `${name}.lua`) }, diagnostics };
}

/** A package on disk that is missing, unreadable or not what its manifest says. */
export class PackageError extends Error {}

/**
 * Reads `<name>.lua`, `<name>.kscript.json` and `<name>.lua.map`, given any of them or their common stem, and
 * checks the chunk against its manifest (sha256, size budget) so nothing edited after the build gets loaded.
 */
export function readPackage(file: string): HookPackage {
  const stem = path.resolve(file.replace(/(\.kscript\.json|\.lua\.map|\.lua)$/, ""));
  const manifestFile = `${stem}.kscript.json`;
  const luaFile = `${stem}.lua`;
  for (const f of [manifestFile, luaFile]) {
    if (!fs.existsSync(f)) throw new PackageError(`${f} does not exist. Build the hook first: kscript build.`);
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8")) as Manifest;
  } catch (error) {
    throw new PackageError(`${manifestFile} is not a package manifest: ${(error as Error).message}.`);
  }
  const lua = fs.readFileSync(luaFile, "utf8");
  if (crypto.createHash("sha256").update(lua).digest("hex") !== manifest.sha256) {
    throw new PackageError(`${luaFile} changed after it was built (its sha256 differs from the manifest). Rebuild it with kscript build.`);
  }
  const size = Buffer.byteLength(lua);
  if (size > manifest.limits.size) throw new PackageError(`${luaFile} is ${size} bytes, over its budget of ${manifest.limits.size}.`);
  const mapFile = `${stem}.lua.map`;
  const map = fs.existsSync(mapFile)
    ? (JSON.parse(fs.readFileSync(mapFile, "utf8")) as SourceMapV3)
    : { version: 3 as const, sources: [], names: [], mappings: "" };
  // The map's sources are relative to the map; make them absolute like a freshly built package's.
  map.sources = map.sources.map((s) => path.resolve(path.dirname(stem), s));
  return { name: manifest.name, lua, manifest, map };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The TypeScript place a chunk position stands for. Code from the lualib bundle has no TypeScript of its
 * own: it is charged to the first use, in the hook's modules, of the lualib function it belongs to.
 */
function locate(
  line: number,
  column: number,
  builder: ChunkBuilder,
  chunkMap: DecodedMap,
  modules: readonly LuaModule[],
): Partial<Diagnostic> | undefined {
  const segment = lookup(chunkMap, line, column);
  if (segment) {
    return { file: chunkMap.sources[segment.source], line: segment.sourceLine + 1, column: segment.sourceColumn + 1 };
  }
  if (builder.moduleAt(line) !== LUALIB_MODULE) return undefined;
  const lualib = modules.find((m) => m.name === LUALIB_MODULE)!;
  const [start] = builder.moduleLines.get(LUALIB_MODULE)!;
  const lualibLines = splitLines(lualib.code);
  let feature: string | undefined;
  for (let i = line - start; i >= 0 && !feature; i--) {
    feature = /^(?:local function |function |local )(__TS__\w+|\w+)\b/.exec(lualibLines[i] ?? "")?.[1];
  }
  if (!feature) return undefined;
  for (const m of modules) {
    if (m.name === LUALIB_MODULE) continue;
    const lines = splitLines(m.code);
    const i = lines.findIndex((l) => new RegExp(`\\b${feature}\\b`).test(l) && !/= ____lualib\./.test(l));
    if (i >= 0) {
      const s = m.map.lines[i]?.[0];
      if (s) return { file: m.map.sources[s.source], line: s.sourceLine + 1, column: s.sourceColumn + 1 };
    }
  }
  return undefined;
}
