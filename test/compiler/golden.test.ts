/**
 * Golden tests: ordinary TypeScript compiles, passes the Lua-level check, and gives under Debian's lua5.3 (in
 * the dialect's sandbox) exactly what the same TypeScript gives in Node, minified or not.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { buildEntry } from "../../compiler/build.js";
import { lua53Available, runInLua53 } from "../helpers/lua53.js";

const fixtures = path.resolve(import.meta.dirname, "../fixtures/golden");

/** What the TypeScript means: the same file run by Node. */
async function runInNode(file: string): Promise<string> {
  const js = ts.transpileModule(fs.readFileSync(file, "utf8"), {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  }).outputText;
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kscript-golden-")), "main.mjs");
  fs.writeFileSync(out, js);
  const module = (await import(pathToFileURL(out).href)) as { main(): string };
  return module.main();
}

describe("golden: TypeScript semantics survive compilation to kscript Lua", () => {
  it("has lua5.3 to run against (apt-get install lua5.3)", () => {
    expect(lua53Available()).toBe(true);
  });

  const ordinary = ["classes", "private", "collections", "strings", "control", "callbacks", "features"];
  for (const name of ordinary) {
    for (const minify of [true, false]) {
      it(`${name} (${minify ? "minified" : "readable"})`, async () => {
        const file = path.join(fixtures, `${name}.ts`);
        const built = await buildEntry(file, { minify });
        expect(built.diagnostics).toEqual([]);
        const lua = runInLua53(built.package!.lua, "exports.main()");
        expect(lua.output).toBe(await runInNode(file));
        expect(lua.ok).toBe(true);
      });
    }
  }

  it("int64: kscript's integer operations give 64-bit Lua results", async () => {
    const built = await buildEntry(path.join(fixtures, "int64.ts"));
    expect(built.diagnostics).toEqual([]);
    expect(runInLua53(built.package!.lua, "exports.main()").output).toBe(
      [
        "idiv=-4,3",
        "ipow=4611686018427387904,81",
        "sar=-5,-1,128",
        "lsr=15",
        "wrap=true,true",
        "mask=-1",
        "shl=1099511627776",
        "ult=true",
        "fmt=deadbeef",
        "mod=2",
        "nan=true",
      ].join(";"),
    );
  });
});
