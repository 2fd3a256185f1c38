/**
 * kscript's checks in the editor: a real tsserver process, driven over its protocol as VS Code drives it, in a
 * project whose tsconfig only extends the SDK's base config. The diagnostics must be those `kscript check`
 * prints (code, message, line, column), and a code fix must leave nothing to report at its spot. `kscript
 * check` is asked in-process, through the builder the command runs (test/compiler/cli.test.ts runs the command).
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Builder } from "../../compiler/build.js";
import { loadProject } from "../../compiler/project.js";
import { sdkProject } from "../helpers/sdk-project.js";
import { TsServer, type CodeFix, type Location, type ServerDiagnostic } from "../helpers/tsserver.js";

const HOOK = `import type { Data } from "kscript/data";
import { action, type Action } from "kscript/xdp";

export function callback(pkt: Data): Action {
  let size = pkt.getuint16(16);
  const words = size / 4;
  size **= 2;
  return words + size > 0 ? action.pass : action.drop;
}
`;

describe("the language-service plugin in tsserver", () => {
  const dir = sdkProject("kscript-tsserver-");
  const file = path.join(dir, "src", "hook.ts");
  let server: TsServer;
  /** The hook as the editor holds it, fixes applied. */
  let text = HOOK;

  beforeAll(async () => {
    fs.writeFileSync(
      path.join(dir, "kscript.json"),
      JSON.stringify({ hooks: [{ entry: "src/hook.ts", target: "xdp" }, { entry: "src/refuse.ts", target: "sock" }] }),
    );
    fs.writeFileSync(path.join(dir, "src", "refuse.ts"), "export function process(buf: string): boolean {\n  return buf.length > 0;\n}\n");
    fs.writeFileSync(file, HOOK);
    // tsserver looks for plugins next to its own TypeScript, which in an installed project is the project's
    // node_modules; this test runs the SDK's own TypeScript, so it names the project's folder as a probe location.
    const tsserver = path.join(path.dirname(createRequire(import.meta.url).resolve("typescript")), "tsserver.js");
    server = new TsServer(tsserver, ["--disableAutomaticTypingAcquisition", "--pluginProbeLocations", dir]);
    await server.request("open", { file, projectRootPath: dir });
  });
  afterAll(() => server?.close());

  const diagnostics = () => server.request<ServerDiagnostic[]>("semanticDiagnosticsSync", { file });

  it("reports what kscript check reports, with the same codes, messages and places", async () => {
    const expected = kscriptCheck(dir).filter((d) => d.file === file);
    expect(expected.map((d) => d.code).sort()).toEqual(["KS1003", "KS1005"]);
    const found = (await diagnostics()).filter((d) => d.source === "kscript");
    expect(found.map((d) => ({ code: `KS${d.code}`, message: d.text, line: d.start.line, column: d.start.offset })).sort((a, b) => a.line - b.line)).toEqual(
      expected.map(({ code, message, line, column }) => ({ code, message, line, column })).sort((a, b) => a.line! - b.line!),
    );
    // The operator is underlined, as TypeScript underlines an offending token.
    const division = found.find((d) => d.code === 1003)!;
    expect(division.end).toEqual({ line: division.start.line, offset: division.start.offset + 1 });
  });

  it("checks a hook entry's signature against its target, as kscript check does", async () => {
    const refuse = path.join(dir, "src", "refuse.ts");
    await server.request("open", { file: refuse, projectRootPath: dir });
    const found = (await server.request<ServerDiagnostic[]>("semanticDiagnosticsSync", { file: refuse })).filter((d) => d.source === "kscript");
    const expected = kscriptCheck(dir).filter((d) => d.file === refuse);
    expect(expected.map((d) => d.code)).toEqual(["KS1019"]);
    expect(found.map((d) => ({ code: `KS${d.code}`, message: d.text }))).toEqual(expected.map(({ code, message }) => ({ code, message })));
  });

  it("fixes '/' with idiv, importing it, and then reports nothing there", async () => {
    const division = (await diagnostics()).find((d) => d.source === "kscript" && d.code === 1003)!;
    const fixes = await server.request<CodeFix[]>("getCodeFixes", {
      file,
      startLine: division.start.line,
      startOffset: division.start.offset,
      endLine: division.end.line,
      endOffset: division.end.offset,
      errorCodes: [1003],
    });
    expect(fixes.map((f) => f.description)).toEqual(["Replace with idiv(size, 4) from 'kscript/int'", "Replace with Math.floor(size / 4)"]);
    const [edit] = fixes[0].changes;
    expect(edit.fileName).toBe(file);
    const textChanges = edit.textChanges;
    await server.request("updateOpen", { changedFiles: [{ fileName: file, textChanges }] });

    const after = await diagnostics();
    expect(after.filter((d) => d.source === "kscript").map((d) => d.code)).toEqual([1005]);
    expect(after.filter((d) => d.source !== "kscript")).toEqual([]);
    text = applied(text, textChanges);
    expect(text).toContain('import { action, type Action } from "kscript/xdp";\nimport { idiv } from "kscript/int";\n');
    expect(text).toContain("const words = idiv(size, 4);");
  });

  it("fixes '**=' with ipow, and kscript check accepts the fixed hook", async () => {
    const power = (await diagnostics()).find((d) => d.source === "kscript" && d.code === 1005)!;
    const [fix] = await server.request<CodeFix[]>("getCodeFixes", {
      file,
      startLine: power.start.line,
      startOffset: power.start.offset,
      endLine: power.end.line,
      endOffset: power.end.offset,
      errorCodes: [1005],
    });
    expect(fix.description).toBe("Replace with size = ipow(size, 2)");
    const textChanges = fix.changes[0].textChanges;
    await server.request("updateOpen", { changedFiles: [{ fileName: file, textChanges }] });
    expect((await diagnostics()).filter((d) => d.source === "kscript")).toEqual([]);

    // What the editor now holds is what the compiler accepts.
    text = applied(text, textChanges);
    expect(text).toContain('import { idiv, ipow } from "kscript/int";\n');
    expect(text).toContain("size = ipow(size, 2);");
    fs.writeFileSync(file, text);
    const reported = kscriptCheck(dir);
    expect(reported.map((d) => d.code)).toEqual(["KS1019"]);
    expect(reported.filter((d) => d.file === file)).toEqual([]);
  });
});

/** What `kscript check` reports for the project in dir. */
function kscriptCheck(dir: string) {
  return new Builder(loadProject(dir)).build({ write: false, checkOnly: true }).diagnostics;
}

/** The text after applying text changes given in document order, as tsserver's updateOpen takes them. */
function applied(text: string, changes: { start: Location; end: Location; newText: string }[]): string {
  const lines = text.split("\n");
  const offset = (l: Location) => lines.slice(0, l.line - 1).reduce((n, s) => n + s.length + 1, 0) + l.offset - 1;
  for (const c of [...changes].reverse()) text = text.slice(0, offset(c.start)) + c.newText + text.slice(offset(c.end));
  return text;
}
