/**
 * The TypeScript language-service plugin that the base tsconfig enables (`"plugins": [{ "name": "kscript-sdk" }]`):
 * every tsserver client (VS Code using the workspace's TypeScript, and other editors) shows kscript's checks
 * while the author types. The diagnostics come from the compiler's own check, run over the editor's program,
 * so codes, messages and places are those of `kscript check`; the operators the dialect spells differently
 * get code fixes. tsserver loads plugins with require(), hence CommonJS here; the compiler is ES modules,
 * which Node 20.19 and later load through require().
 */
import path from "node:path";
import type * as TS from "typescript";
import { HOOK_TYPES_FILE, checkProjectFile } from "../compiler/build.js";
import { loadProject } from "../compiler/project.js";
import compilerTs from "../compiler/typescript.cjs";
import { UsageError, type Diagnostic } from "../common/diagnostics.js";

/** A kscript diagnostic placed in the editor's file. */
interface Placed {
  diagnostic: Diagnostic;
  start: number;
  length: number;
}

/** Codes with fixes, as the numbers tsserver passes around (KS1003 → 1003). */
const FIXABLE = ["KS1003", "KS1004", "KS1005", "KS1016"];
const tsCode = (code: string) => Number(code.slice(2));

function init(modules: { typescript: typeof TS }): TS.server.PluginModule {
  const ts = modules.typescript;

  /** Rewrites of the binary expression a diagnostic points at (its operator), each with a description. */
  function rewrites(sf: TS.SourceFile, d: Placed): { description: string; changes: TS.TextChange[] }[] {
    const find = (node: TS.Node): TS.BinaryExpression | undefined =>
      ts.isBinaryExpression(node) && node.operatorToken.getStart(sf) === d.start ? node : ts.forEachChild(node, find);
    const b = find(sf);
    if (!b) return [];
    const left = b.left.getText(sf);
    const right = b.right.getText(sf);
    const operand = ts.isIdentifier(b.right) || ts.isLiteralExpression(b.right) || ts.isCallExpression(b.right) ||
      ts.isPropertyAccessExpression(b.right) || ts.isElementAccessExpression(b.right) || ts.isParenthesizedExpression(b.right)
      ? right
      : `(${right})`;
    const span = { start: b.getStart(sf), length: b.getEnd() - b.getStart(sf) };
    const replace = (newText: string): TS.TextChange => ({ span, newText });
    const withHelper = (helper: string, text: (call: string) => string, description: string) => {
      const { name, change } = importFromInt(sf, helper);
      return { description, changes: [...(change ? [change] : []), replace(text(name))] };
    };
    switch (b.operatorToken.kind) {
      case ts.SyntaxKind.SlashToken:
        return [
          withHelper("idiv", (idiv) => `${idiv}(${left}, ${right})`, `Replace with idiv(${left}, ${right}) from 'kscript/int'`),
          { description: `Replace with Math.floor(${left} / ${right})`, changes: [replace(`Math.floor(${left} / ${right})`)] },
        ];
      case ts.SyntaxKind.SlashEqualsToken:
        return [withHelper("idiv", (idiv) => `${left} = ${idiv}(${left}, ${right})`, `Replace with ${left} = idiv(${left}, ${right})`)];
      case ts.SyntaxKind.AsteriskAsteriskToken:
        return [withHelper("ipow", (ipow) => `${ipow}(${left}, ${right})`, `Replace with ipow(${left}, ${right}) from 'kscript/int'`)];
      case ts.SyntaxKind.AsteriskAsteriskEqualsToken:
        return [withHelper("ipow", (ipow) => `${left} = ${ipow}(${left}, ${right})`, `Replace with ${left} = ipow(${left}, ${right})`)];
      case ts.SyntaxKind.GreaterThanGreaterThanEqualsToken:
        return [{ description: `Replace with ${left} = ${left} >> ${operand}`, changes: [replace(`${left} = ${left} >> ${operand}`)] }];
      case ts.SyntaxKind.GreaterThanGreaterThanGreaterThanEqualsToken:
        return [{ description: `Replace with ${left} = ${left} >>> ${operand}`, changes: [replace(`${left} = ${left} >>> ${operand}`)] }];
      default:
        return [];
    }
  }

  /** How the file can call a kscript/int function, and the import edit that makes it so (if one is needed). */
  function importFromInt(sf: TS.SourceFile, name: string): { name: string; change?: TS.TextChange } {
    const imports = sf.statements.filter(ts.isImportDeclaration);
    for (const i of imports) {
      const bindings = i.importClause?.namedBindings;
      if (!ts.isStringLiteral(i.moduleSpecifier) || i.moduleSpecifier.text !== "kscript/int" || !bindings || i.importClause.isTypeOnly) continue;
      if (ts.isNamespaceImport(bindings)) return { name: `${bindings.name.text}.${name}` };
      const existing = bindings.elements.find((e) => (e.propertyName ?? e.name).text === name && !e.isTypeOnly);
      if (existing) return { name: existing.name.text };
      const last = bindings.elements[bindings.elements.length - 1];
      return last
        ? { name, change: { span: { start: last.getEnd(), length: 0 }, newText: `, ${name}` } }
        : { name, change: { span: { start: bindings.getStart(sf) + 1, length: 0 }, newText: ` ${name} ` } };
    }
    const line = `import { ${name} } from "kscript/int";`;
    const after = imports[imports.length - 1];
    return after
      ? { name, change: { span: { start: after.getEnd(), length: 0 }, newText: `\n${line}` } }
      : { name, change: { span: { start: sf.statements[0]?.getStart(sf) ?? 0, length: 0 }, newText: `${line}\n` } };
  }

  return {
    create(info) {
      const ls = info.languageService;
      const log = (message: string) => info.project.projectService.logger.info(`kscript: ${message}`);
      // The check walks the editor's syntax trees with the compiler's TypeScript; another version may number
      // its syntax kinds differently, so the plugin works only with the TypeScript the SDK was built with.
      if (ts.version !== compilerTs.version) {
        log(`off: the editor runs TypeScript ${ts.version}, kscript needs ${compilerTs.version} (select the workspace's TypeScript)`);
        return ls;
      }
      const projectDir = info.project.getCurrentDirectory();

      const kscriptDiagnostics = (fileName: string): Placed[] => {
        const program = ls.getProgram();
        const sf = program?.getSourceFile(fileName);
        if (!program || !sf) return [];
        let hooks;
        try {
          hooks = loadProject(projectDir).hooks;
        } catch (error) {
          if (!(error instanceof UsageError)) throw error;
          log(`no hooks to check in ${projectDir}: ${error.message}`);
          return [];
        }
        return checkProjectFile(program, hooks, sf.fileName)
          .filter((d) => d.line !== undefined && path.resolve(d.file ?? "") === path.resolve(sf.fileName))
          .map((d) => ({ diagnostic: d, start: sf.getPositionOfLineAndCharacter(d.line! - 1, (d.column ?? 1) - 1), length: d.length ?? 0 }));
      };

      return {
        ...ls,
        getSemanticDiagnostics(fileName) {
          const sf = ls.getProgram()?.getSourceFile(fileName);
          const own = kscriptDiagnostics(fileName).map(
            ({ diagnostic: d, start, length }): TS.Diagnostic => ({
              file: sf,
              start,
              length,
              messageText: d.message,
              category: d.category === "error" ? ts.DiagnosticCategory.Error : ts.DiagnosticCategory.Warning,
              code: tsCode(d.code),
              source: "kscript",
            }),
          );
          return [...ls.getSemanticDiagnostics(fileName), ...own];
        },
        getCodeFixesAtPosition(fileName, start, end, errorCodes, formatOptions, preferences) {
          const fixes = [...ls.getCodeFixesAtPosition(fileName, start, end, errorCodes, formatOptions, preferences)];
          const sf = ls.getProgram()?.getSourceFile(fileName);
          if (!sf) return fixes;
          for (const d of kscriptDiagnostics(fileName)) {
            const code = d.diagnostic.code;
            if (!FIXABLE.includes(code) || !errorCodes.includes(tsCode(code)) || d.start > end || d.start + d.length < start) continue;
            for (const { description, changes } of rewrites(sf, d)) {
              fixes.push({ fixName: `kscript-${code}`, description, changes: [{ fileName, textChanges: changes }] });
            }
          }
          return fixes;
        },
        getSupportedCodeFixes(fileName) {
          return [...ls.getSupportedCodeFixes(fileName), ...FIXABLE.map((c) => String(tsCode(c)))];
        },
      };
    },
    // The hook entry types (stdlib/hooks.d.ts) join every project, so an entry's signature is checked as in a build.
    getExternalFiles() {
      return [HOOK_TYPES_FILE];
    },
  };
}

export = init;
