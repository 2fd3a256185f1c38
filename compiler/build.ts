/**
 * The build: TypeScript diagnostics, the TypeScript-level check, transpilation, packaging (with its Lua-level
 * check) and, only when every hook is clean, writing the packages. A Builder keeps one LanguageService so
 * watch-mode rebuilds reuse everything that did not change.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import ts from "./typescript.cjs";
import { checkSourceFile } from "./check-ts.js";
import { diagnostic, type Diagnostic } from "../common/diagnostics.js";
import { moduleClosure, packageHook, type HookPackage, type PackageOptions, type PackageResult } from "./package.js";
import { loadProject, type HookSpec, type Project } from "./project.js";
import {
  extraRootFiles,
  helperModules,
  kscriptCompilerOptions,
  stdlibDir,
  transpileProgram,
  type LuaModule,
} from "./transpile.js";
import { TARGET_ENTRY, type Target } from "../common/dialect.js";

export interface BuildResult {
  ok: boolean;
  diagnostics: Diagnostic[];
  packages: HookPackage[];
  /** Files written (only when ok and writing was asked for). */
  written: string[];
}

export interface BuildOptions {
  /** Write the packages to the project's outDir (default true for buildProject). */
  write?: boolean;
  /** Stop after the checks, without transpiling (`kscript check`). */
  checkOnly?: boolean;
}

function fromTsDiagnostic(d: ts.Diagnostic): Diagnostic {
  const message = ts.flattenDiagnosticMessageText(d.messageText, "\n");
  const category = d.category === ts.DiagnosticCategory.Error ? "error" : "warning";
  // TSTL reports constructs it cannot translate with codes from 100000 up; they belong in kscript's catalog.
  const base =
    d.code >= 100000
      ? diagnostic("KS1012", [message.endsWith(".") ? message : message + "."])
      : { code: `TS${d.code}`, category, message };
  if (d.file && d.start !== undefined) {
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return { ...base, category, file: path.resolve(d.file.fileName), line: line + 1, column: character + 1 };
  }
  return { ...base, category };
}

interface FileState {
  version: number;
  tsDiagnostics: Diagnostic[];
  kscriptDiagnostics: Map<Target | "module", Diagnostic[]>;
  module: LuaModule | undefined;
  transpileDiagnostics: Diagnostic[];
}

export class Builder {
  private readonly versions = new Map<string, number>();
  /** What was computed for each project file at its version; reused until it or something it imports changes. */
  private readonly fileStates = new Map<string, FileState>();
  private readonly packageCache = new Map<string, PackageResult & { key: string }>();
  private readonly service: ts.LanguageService;
  private readonly options: ts.CompilerOptions;

  constructor(readonly project: Project) {
    this.options = kscriptCompilerOptions(project.dir, project.compilerOptions);
    const roots = [...project.hooks.map((h) => h.entry), ...extraRootFiles, HOOK_TYPES_FILE];
    const resolutionCache = ts.createModuleResolutionCache(project.dir, (f) => f, this.options);
    const host: ts.LanguageServiceHost = {
      // A `kscript/…` helper is the SDK's TypeScript, compiled into the hook. When the SDK is installed in the
      // project's node_modules, TypeScript takes it for an external library, which it never emits; it is not one.
      resolveModuleNameLiterals: (literals, containingFile, redirectedReference, options) =>
        literals.map(({ text }) => {
          const resolved = ts.resolveModuleName(text, containingFile, options, ts.sys, resolutionCache, redirectedReference);
          const module = resolved.resolvedModule;
          return module && text.startsWith("kscript/") && module.resolvedFileName.startsWith(stdlibDir + path.sep)
            ? { ...resolved, resolvedModule: { ...module, isExternalLibraryImport: false } }
            : resolved;
        }),
      getScriptFileNames: () => roots,
      getScriptVersion: (f) => String(this.versions.get(path.resolve(f)) ?? 0),
      getScriptSnapshot: (f) => {
        const text = ts.sys.readFile(f);
        return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
      },
      getCurrentDirectory: () => project.dir,
      getCompilationSettings: () => this.options,
      getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
      fileExists: ts.sys.fileExists,
      readFile: ts.sys.readFile,
      readDirectory: ts.sys.readDirectory,
      directoryExists: ts.sys.directoryExists,
      getDirectories: ts.sys.getDirectories,
    };
    this.service = ts.createLanguageService(host, ts.createDocumentRegistry());
  }

  /** The TypeScript files of the project's current program (for watching). */
  sourceFiles(): string[] {
    const program = this.service.getProgram()!;
    return program.getSourceFiles().filter((sf) => !program.isSourceFileDefaultLibrary(sf)).map((sf) => sf.fileName);
  }

  /** Tell the builder a file changed on disk (watch mode). */
  invalidate(file: string): void {
    const f = path.resolve(file);
    this.versions.set(f, (this.versions.get(f) ?? 0) + 1);
  }

  build(options: BuildOptions = {}): BuildResult {
    const program = this.service.getProgram()!;
    const checker = program.getTypeChecker();
    const projectFiles = program
      .getSourceFiles()
      .filter((sf) => !sf.isDeclarationFile && !program.isSourceFileDefaultLibrary(sf));
    const imports = new Map(projectFiles.map((sf) => [sf.fileName, directImports(sf, checker)]));
    for (const sf of this.staleFiles(projectFiles, imports)) {
      this.fileStates.set(sf.fileName, {
        version: this.versionOf(sf.fileName),
        tsDiagnostics: [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].map(fromTsDiagnostic),
        kscriptDiagnostics: new Map(),
        module: undefined,
        transpileDiagnostics: [],
      });
    }
    const state = (sf: ts.SourceFile) => this.fileStates.get(sf.fileName)!;

    const diagnostics: Diagnostic[] = [
      ...[...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()].map(fromTsDiagnostic),
      ...projectFiles.flatMap((sf) => state(sf).tsDiagnostics),
    ];
    const kinds = { helperModules: helperModules() };
    const checked = new Set<string>();
    for (const hook of this.project.hooks) {
      for (const file of closure(hook.entry, imports)) {
        const sf = program.getSourceFile(file)!;
        const key = `${hook.target}:${file}`;
        if (checked.has(key)) continue;
        checked.add(key);
        const cached = state(sf).kscriptDiagnostics;
        if (!cached.has(hook.target)) cached.set(hook.target, checkSourceFile(sf, checker, program, hook.target, kinds));
        diagnostics.push(...cached.get(hook.target)!);
      }
      diagnostics.push(...checkEntry(program, checker, hook));
    }
    const errors = () => diagnostics.some((d) => d.category === "error");
    if (errors() || options.checkOnly) return this.finish(diagnostics, [], options);

    const untranspiled = projectFiles.filter((sf) => !state(sf).module);
    if (untranspiled.length > 0) {
      const transpiled = transpileProgram(program, this.project.dir, untranspiled);
      for (const module of transpiled.modules.values()) {
        const sf = module.sourceFile && program.getSourceFile(module.sourceFile);
        if (sf && this.fileStates.has(sf.fileName)) state(sf).module = module;
      }
      for (const d of transpiled.diagnostics.map(fromTsDiagnostic)) {
        const owner = d.file && this.fileStates.get(d.file);
        if (owner) owner.transpileDiagnostics.push(d);
        else diagnostics.push(d);
      }
    }
    diagnostics.push(...projectFiles.flatMap((sf) => state(sf).transpileDiagnostics));
    if (errors()) return this.finish(diagnostics, [], options);

    const modules = new Map<string, LuaModule>();
    for (const sf of projectFiles) {
      const module = state(sf).module;
      if (module) modules.set(module.name, module);
    }
    const packages: HookPackage[] = [];
    for (const hook of this.project.hooks) {
      const entryModule = state(program.getSourceFile(hook.entry)!).module;
      if (!entryModule) throw new Error(`kscript: no Lua module was emitted for ${hook.entry}`);
      const result = this.packageCached({
        name: hook.name,
        target: hook.target,
        entryModule: entryModule.name,
        modules,
        minify: this.project.minify,
        limits: this.project.limits,
      });
      diagnostics.push(...result.diagnostics);
      if (result.package) packages.push(result.package);
    }
    return this.finish(diagnostics, packages, options);
  }

  private versionOf(file: string): number {
    return this.versions.get(path.resolve(file)) ?? 0;
  }

  /** Files never seen or changed since, and every file that imports one of them, directly or not. */
  private staleFiles(files: readonly ts.SourceFile[], imports: ReadonlyMap<string, string[]>): ts.SourceFile[] {
    const stale = new Set(
      files.filter((sf) => this.fileStates.get(sf.fileName)?.version !== this.versionOf(sf.fileName)).map((sf) => sf.fileName),
    );
    for (let grew = true; grew; ) {
      grew = false;
      for (const [file, deps] of imports) {
        if (!stale.has(file) && deps.some((d) => stale.has(d))) {
          stale.add(file);
          grew = true;
        }
      }
    }
    return files.filter((sf) => stale.has(sf.fileName));
  }

  /** Packaging is pure in its inputs: a hook whose modules did not change keeps its package. */
  private packageCached(options: PackageOptions): PackageResult {
    const hash = crypto.createHash("sha256");
    hash.update(JSON.stringify([options.name, options.target, options.entryModule, options.minify, options.limits]));
    const closure = moduleClosure(options.entryModule, options.modules);
    for (const m of closure) hash.update(m.name).update("\0").update(m.code);
    const key = hash.digest("hex");
    let result = this.packageCache.get(options.name);
    if (result?.key !== key) {
      result = { key, ...packageHook({ ...options, closure }) };
      this.packageCache.set(options.name, result);
    }
    return result;
  }

  private finish(all: Diagnostic[], packages: HookPackage[], options: BuildOptions): BuildResult {
    // A module kscript already rejected needs no second "cannot find module" from TypeScript.
    const rejectedImports = new Set(
      all.filter((d) => d.code === "KS1009" || d.code === "KS1018").map((d) => `${d.file}:${d.line}`),
    );
    const diagnostics = all.filter(
      (d) => !((d.code === "TS2307" || d.code === "TS2792") && rejectedImports.has(`${d.file}:${d.line}`)),
    );
    const ok = !diagnostics.some((d) => d.category === "error");
    const written: string[] = [];
    if (ok && options.write) {
      fs.mkdirSync(this.project.outDir, { recursive: true });
      for (const p of packages) written.push(...writePackage(p, this.project.outDir));
    }
    return { ok, diagnostics: dedupe(diagnostics), packages: ok ? packages : [], written };
  }
}

function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.file}:${d.line}:${d.column}:${d.code}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Writes `<name>.lua`, `<name>.kscript.json` and `<name>.lua.map` (sources relative to the map). */
export function writePackage(p: HookPackage, outDir: string): string[] {
  const lua = path.join(outDir, `${p.name}.lua`);
  const manifest = path.join(outDir, `${p.name}.kscript.json`);
  const map = path.join(outDir, `${p.name}.lua.map`);
  fs.writeFileSync(lua, p.lua);
  fs.writeFileSync(manifest, JSON.stringify(p.manifest, null, 2) + "\n");
  const relativeMap = { ...p.map, sources: p.map.sources.map((s) => path.relative(outDir, s).split(path.sep).join("/")) };
  fs.writeFileSync(map, JSON.stringify(relativeMap) + "\n");
  return [lua, manifest, map];
}

/** The TypeScript files a source file imports (declaration files excluded; stdlib helpers included). */
function directImports(sf: ts.SourceFile, checker: ts.TypeChecker): string[] {
  const out: string[] = [];
  for (const statement of sf.statements) {
    const spec = ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement) ? statement.moduleSpecifier : undefined;
    const target = spec && checker.getSymbolAtLocation(spec)?.declarations?.[0]?.getSourceFile();
    if (target && !target.isDeclarationFile) out.push(target.fileName);
  }
  return out;
}

/** An entry and everything it reaches through imports. */
function closure(entry: string, imports: ReadonlyMap<string, string[]>): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const dep of imports.get(file) ?? []) visit(dep);
  };
  visit(path.resolve(entry));
  return [...seen];
}

/** The type in stdlib/hooks.d.ts each target's entry must satisfy. */
const ENTRY_TYPES: Record<Target, string> = { xdp: "XdpCallback", tls: "TlsRecv", sock: "SockProcess" };
export const HOOK_TYPES_FILE = path.join(stdlibDir, "hooks.d.ts");

function checkEntry(program: ts.Program, checker: ts.TypeChecker, hook: HookSpec): Diagnostic[] {
  const target = hook.target;
  if (target === "module") return [];
  const entryName = TARGET_ENTRY[target];
  const sf = program.getSourceFile(hook.entry);
  const moduleSymbol = sf && checker.getSymbolAtLocation(sf);
  const exported = moduleSymbol && checker.getExportsOfModule(moduleSymbol).find((s) => s.name === entryName);
  const type = exported && checker.getTypeOfSymbol(exported);
  if (!type || type.getCallSignatures().length === 0) {
    return [diagnostic("KS1013", [target, entryName], { file: hook.entry, line: 1, column: 1 })];
  }
  const hooks = program.getSourceFile(HOOK_TYPES_FILE);
  const hooksSymbol = hooks && checker.getSymbolAtLocation(hooks);
  const expectedSymbol = hooksSymbol && checker.getExportsOfModule(hooksSymbol).find((s) => s.name === ENTRY_TYPES[target]);
  if (!expectedSymbol) return [];
  const expected = checker.getDeclaredTypeOfSymbol(expectedSymbol);
  if (checker.isTypeAssignableTo(type, expected)) return [];
  const declaration = exported.valueDeclaration ?? exported.declarations?.[0];
  const start = declaration ? declaration.getSourceFile().getLineAndCharacterOfPosition(declaration.getStart()) : undefined;
  return [
    diagnostic(
      "KS1019",
      [entryName, checker.typeToString(type), target, checker.typeToString(expected, undefined, ts.TypeFormatFlags.InTypeAlias), ENTRY_TYPES[target]],
      { file: hook.entry, line: (start?.line ?? 0) + 1, column: (start?.character ?? 0) + 1 },
    ),
  ];
}

/**
 * What `kscript check` reports for one file of a program that is not the builder's (an editor's): the
 * kscript checks of every hook whose imports reach the file, under that hook's target, and for a hook's
 * entry the entry's signature. A file no hook reaches (a test, a script) gets none.
 */
export function checkProjectFile(program: ts.Program, hooks: readonly HookSpec[], fileName: string): Diagnostic[] {
  const sf = program.getSourceFile(fileName);
  if (!sf || sf.isDeclarationFile) return [];
  const checker = program.getTypeChecker();
  const imports = new Map(
    program.getSourceFiles().filter((f) => !f.isDeclarationFile).map((f) => [f.fileName, directImports(f, checker)]),
  );
  const kinds = { helperModules: helperModules() };
  const checkedTargets = new Set<Target | "module">();
  const out: Diagnostic[] = [];
  for (const hook of hooks) {
    if (!closure(hook.entry, imports).includes(sf.fileName)) continue;
    if (!checkedTargets.has(hook.target)) {
      checkedTargets.add(hook.target);
      out.push(...checkSourceFile(sf, checker, program, hook.target, kinds));
    }
    if (path.resolve(hook.entry) === sf.fileName) out.push(...checkEntry(program, checker, hook));
  }
  return dedupe(out);
}

/** Build a project folder (reads kscript.json / tsconfig.json) and write its packages. */
export function buildProject(dir: string, options: BuildOptions & { minify?: boolean } = {}): BuildResult {
  const project = loadProject(dir, { minify: options.minify });
  return new Builder(project).build({ write: true, ...options });
}

/**
 * The Builders of this process's latest buildEntry calls, by project: a test loads the same hook many times
 * (one fresh engine per test), and a rebuild of unchanged files costs nothing where a new program costs a
 * second. A few are kept, not all: each holds a whole program.
 */
const entryBuilders = new Map<string, { builder: Builder; texts: Map<string, string | undefined> }>();
const ENTRY_BUILDERS_KEPT = 4;

/** Build one entry file in memory, e.g. for tests: the project is the folder holding it. */
export async function buildEntry(
  entry: string,
  options: { target?: Target | "module"; minify?: boolean; name?: string } = {},
): Promise<{ ok: boolean; diagnostics: Diagnostic[]; package?: HookPackage; sources: string[] }> {
  const file = path.resolve(entry);
  const base = loadProjectAround(file);
  const project: Project = {
    ...base,
    minify: options.minify ?? base.minify,
    hooks: [{ name: options.name ?? path.basename(file).replace(/\.ts$/, ""), entry: file, target: options.target ?? "module" }],
  };
  const key = JSON.stringify(project);
  const entryBuilder = entryBuilders.get(key) ?? { builder: new Builder(project), texts: new Map() };
  entryBuilders.delete(key);
  entryBuilders.set(key, entryBuilder);
  for (const old of entryBuilders.keys()) if (entryBuilders.size > ENTRY_BUILDERS_KEPT) entryBuilders.delete(old);
  const { builder, texts } = entryBuilder;
  // Files edited since the last build (the test process may outlive an edit) are rebuilt, as in watch mode.
  for (const [f, text] of texts) if (ts.sys.readFile(f) !== text) builder.invalidate(f);
  const result = builder.build({ write: false });
  texts.clear();
  const sources = builder.sourceFiles();
  for (const f of sources) texts.set(f, ts.sys.readFile(f));
  return { ok: result.ok, diagnostics: result.diagnostics, package: result.packages[0], sources };
}

/** The project settings (tsconfig options, limits) of the nearest folder with a config, or defaults. */
function loadProjectAround(file: string): Project {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "kscript.json")) || fs.existsSync(path.join(dir, "tsconfig.json"))) {
      return loadProject(dir, { declaredHooksOnly: true });
    }
    if (path.dirname(dir) === dir) break;
  }
  const dir = path.dirname(file);
  return { dir, hooks: [], outDir: path.join(dir, "dist"), minify: true, limits: {}, compilerOptions: {}, configFile: undefined };
}
