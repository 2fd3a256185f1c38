/**
 * What authors see in their editor: a hook project whose tsconfig has the one line
 * `"extends": "kscript-sdk/tsconfig.base.json"` gets the kscript modules with their docs, and the Lua facilities
 * the dialect lacks are type errors, before any kscript command runs.
 */
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { sdkProject } from "../helpers/sdk-project.js";

function projectWithKscriptInstalled(source: string): ts.Program {
  const dir = sdkProject("kscript-editor-");
  fs.writeFileSync(path.join(dir, "src", "hook.ts"), source);
  const config = ts.getParsedCommandLineOfConfigFile(path.join(dir, "tsconfig.json"), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    },
  })!;
  return ts.createProgram(config.fileNames, config.options);
}

const errors = (program: ts.Program) =>
  ts.getPreEmitDiagnostics(program).map((d) => `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`);

describe("the stdlib types in an author's project", () => {
  it("resolves kscript modules with their documentation", () => {
    const program = projectWithKscriptInstalled(
      'import { idiv } from "kscript/int";\nimport { format } from "kscript/string";\nimport { maxinteger } from "kscript/math";\n' +
        'import { parseRequest } from "kscript/http";\n' +
        "export const s: string = format('%d', idiv(maxinteger, 2)) + parseRequest('GET / HTTP/1.0\\r\\n\\r\\n').kind;\n",
    );
    expect(errors(program)).toEqual([]);
    const checker = program.getTypeChecker();
    const hook = program.getSourceFiles().find((f) => f.fileName.endsWith("hook.ts"))!;
    const idiv = hook.statements[0] as ts.ImportDeclaration;
    const name = (idiv.importClause!.namedBindings as ts.NamedImports).elements[0].name;
    const symbol = checker.getAliasedSymbol(checker.getSymbolAtLocation(name)!);
    expect(ts.displayPartsToString(symbol.getDocumentationComment(checker))).toMatch(/Floor division/);
  });

  it("resolves kscript/testing for the project's tests, with its types", () => {
    const program = projectWithKscriptInstalled(
      'import { loadHook } from "kscript/testing";\n' +
        'export const action: Promise<string | number | undefined> = loadHook("src/hook.ts").then((h) => h.runXdp(new Uint8Array(0)).actionName);\n' +
        "export const wrong: Promise<boolean> = loadHook(\"src/hook.ts\").then((h) => h.runXdp(new Uint8Array(0)).actionName);\n",
    );
    expect(errors(program)).toEqual([expect.stringMatching(/^TS2322: Type 'Promise<.*"drop" \| "pass".*>' is not assignable to type 'Promise<boolean>'/)]);
  });

  it("makes the dialect's missing facilities type errors", () => {
    const program = projectWithKscriptInstalled(
      'import { dump } from "kscript/string";\nimport { huge } from "kscript/math";\nio.write("x");\nconst f = require("fs");\n',
    );
    const found = errors(program).join("\n");
    expect(found).toMatch(/TS2305: Module '"kscript\/string"' has no exported member 'dump'/);
    expect(found).toMatch(/TS2305: Module '"kscript\/math"' has no exported member 'huge'/);
    expect(found).toMatch(/TS2304: Cannot find name 'io'/);
    expect(found).toMatch(/TS2580|TS2591|TS2304: Cannot find name 'require'/);
  });
});
