/**
 * The build: TypeScript diagnostics, the TypeScript-level check, transpilation, packaging (with its Lua-level
 * check) and, only when every hook is clean, writing the packages. A Builder keeps one LanguageService so
 * watch-mode rebuilds reuse everything that did not change.
 */
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { checkSourceFile } from "./check-ts.js";
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import { packageHook, type HookPackage } from "./package.js";
import { loadProject, type HookSpec, type Project } from "./project.js";
import { extraRootFiles, helperModules, kscriptCompilerOptions, stdlibDir, transpileProgram } from "./transpile.js";
import { TARGET_ENTRY, type Target } from "./dialect.js";

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

export class Builder {
  private readonly versions = new Map<string, number>();
  private readonly service: ts.LanguageService;
  private readonly options: ts.CompilerOptions;

  constructor(readonly project: Project) {
    this.options = kscriptCompilerOptions(project.dir, project.compilerOptions);
    const roots = [...project.hooks.map((h) => h.entry), ...extraRootFiles];
    const host: ts.LanguageServiceHost = {
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

  /** Tell the builder a file changed on disk (watch mode). */
  invalidate(file: string): void {
    const f = path.resolve(file);
    this.versions.set(f, (this.versions.get(f) ?? 0) + 1);
  }

  build(options: BuildOptions = {}): BuildResult {
    const program = this.service.getProgram()!;
    const diagnostics: Diagnostic[] = [];
    const projectFiles = program
      .getSourceFiles()
      .filter((sf) => !sf.isDeclarationFile && !program.isSourceFileDefaultLibrary(sf) && !isInside(stdlibDir, sf.fileName));

    const tsDiagnostics = [
      ...program.getOptionsDiagnostics(),
      ...program.getGlobalDiagnostics(),
      ...projectFiles.flatMap((sf) => [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]),
    ];
    diagnostics.push(...tsDiagnostics.map(fromTsDiagnostic));

    const checker = program.getTypeChecker();
    const kinds = { helperModules: helperModules() };
    const checked = new Set<string>();
    for (const hook of this.project.hooks) {
      for (const sf of importClosure(program, hook.entry, checker)) {
        if (isInside(stdlibDir, sf.fileName) || checked.has(`${hook.target}:${sf.fileName}`)) continue;
        checked.add(`${hook.target}:${sf.fileName}`);
        diagnostics.push(...checkSourceFile(sf, checker, program, hook.target, kinds));
      }
      diagnostics.push(...checkEntry(program, checker, hook));
    }
    const errors = () => diagnostics.some((d) => d.category === "error");
    if (errors() || options.checkOnly) return this.finish(diagnostics, [], options);

    const transpiled = transpileProgram(program);
    diagnostics.push(...transpiled.diagnostics.map(fromTsDiagnostic));
    if (errors()) return this.finish(diagnostics, [], options);

    const packages: HookPackage[] = [];
    for (const hook of this.project.hooks) {
      const entryModule = [...transpiled.modules.values()].find((m) => m.sourceFile && path.resolve(m.sourceFile) === hook.entry);
      if (!entryModule) throw new Error(`kscript: no Lua module was emitted for ${hook.entry}`);
      const result = packageHook({
        name: hook.name,
        target: hook.target,
        entryModule: entryModule.name,
        modules: transpiled.modules,
        minify: this.project.minify,
        limits: this.project.limits,
      });
      diagnostics.push(...result.diagnostics);
      if (result.package) packages.push(result.package);
    }
    return this.finish(diagnostics, packages, options);
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

function isInside(dir: string, file: string): boolean {
  return path.resolve(file).startsWith(dir + path.sep);
}

/** The project's source files an entry reaches through its imports (declaration files excluded). */
function importClosure(program: ts.Program, entry: string, checker: ts.TypeChecker): ts.SourceFile[] {
  const out: ts.SourceFile[] = [];
  const seen = new Set<string>();
  const visit = (sf: ts.SourceFile | undefined) => {
    if (!sf || sf.isDeclarationFile || seen.has(sf.fileName)) return;
    seen.add(sf.fileName);
    out.push(sf);
    for (const statement of sf.statements) {
      const spec =
        ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement) ? statement.moduleSpecifier : undefined;
      if (!spec) continue;
      const decl = checker.getSymbolAtLocation(spec)?.declarations?.[0];
      visit(decl?.getSourceFile());
    }
  };
  visit(program.getSourceFile(entry));
  return out;
}

function checkEntry(program: ts.Program, checker: ts.TypeChecker, hook: HookSpec): Diagnostic[] {
  if (hook.target === "module") return [];
  const entryName = TARGET_ENTRY[hook.target];
  const sf = program.getSourceFile(hook.entry);
  const moduleSymbol = sf && checker.getSymbolAtLocation(sf);
  const exported = moduleSymbol && checker.getExportsOfModule(moduleSymbol).find((s) => s.name === entryName);
  const isFunction =
    exported && checker.getTypeOfSymbol(exported).getCallSignatures().length > 0;
  if (isFunction) return [];
  return [diagnostic("KS1013", [hook.target, entryName], { file: hook.entry, line: 1, column: 1 })];
}

/** Build a project folder (reads kscript.json / tsconfig.json) and write its packages. */
export function buildProject(dir: string, options: BuildOptions & { minify?: boolean } = {}): BuildResult {
  const project = loadProject(dir, { minify: options.minify });
  return new Builder(project).build({ write: true, ...options });
}

/** Build one entry file in memory, e.g. for tests: the project is the folder holding it. */
export async function buildEntry(
  entry: string,
  options: { target?: Target | "module"; minify?: boolean; name?: string } = {},
): Promise<{ ok: boolean; diagnostics: Diagnostic[]; package?: HookPackage }> {
  const file = path.resolve(entry);
  const base = loadProjectAround(file);
  const project: Project = {
    ...base,
    minify: options.minify ?? base.minify,
    hooks: [{ name: options.name ?? path.basename(file).replace(/\.ts$/, ""), entry: file, target: options.target ?? "module" }],
  };
  const result = new Builder(project).build({ write: false });
  return { ok: result.ok, diagnostics: result.diagnostics, package: result.packages[0] };
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
