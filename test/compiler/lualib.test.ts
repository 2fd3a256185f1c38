/**
 * kscript's lualib: every TypeScript-to-Lua helper a hook can reach is integer-clean. The only dirty ones
 * left are reachable solely through constructs the TypeScript-level check rejects, and if one is reached
 * anyway, the Lua-level check charges it to the TypeScript line that used it.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkLua } from "../../compiler/check-lua.js";
import { packageHook } from "../../compiler/package.js";
import { lualibModule, type LuaModule } from "../../compiler/transpile.js";

const require = createRequire(import.meta.url);
const info = JSON.parse(
  fs.readFileSync(path.join(path.dirname(require.resolve("typescript-to-lua/package.json")), "dist/lualib/universal/lualib_module_info.json"), "utf8"),
) as Record<string, { exports: string[] }>;

/** A module that imports the given lualib exports the way TSTL writes it. */
function userOf(exports: string[], map: LuaModule["map"] = { sources: [], lines: [] }, extra = ""): LuaModule {
  const code = ['local ____lualib = require("lualib_bundle")', ...exports.map((e) => `local ${e} = ____lualib.${e}`), extra, "return {}"].join("\n");
  return { name: "user", code, map, sourceFile: "/project/src/user.ts" };
}

/** Reachable only through Math.atan2/trunc, parseFloat, toFixed (KS1007/KS1008) or the debug traceback (never enabled). */
const REJECTED_AT_TYPESCRIPT_LEVEL = ["MathAtan2", "MathModf", "MathTrunc", "NumberToFixed", "ParseFloat", "SourceMapTraceBack"];

describe("kscript's lualib", () => {
  it("is integer-clean and _G-free for every feature a hook can reach", () => {
    const dirty: string[] = [];
    for (const [feature, { exports }] of Object.entries(info)) {
      const lualib = lualibModule([userOf(exports)])!;
      if (checkLua(lualib.code, { target: "module", modules: new Set() }).length > 0) dirty.push(feature);
    }
    expect(dirty.sort()).toEqual(REJECTED_AT_TYPESCRIPT_LEVEL);
  });

  it("charges a dirty helper to the TypeScript line that uses it", () => {
    // user.lua line 3 (`local x = __TS__MathTrunc(7)`) came from user.ts line 12, column 5.
    const map = { sources: ["/project/src/user.ts"], lines: [[], [], [{ column: 0, source: 0, sourceLine: 11, sourceColumn: 4 }]] };
    const module = userOf(["__TS__MathTrunc"], map, "local x = __TS__MathTrunc(7)");
    const result = packageHook({ name: "user", target: "module", entryModule: "user", modules: new Map([["user", module]]), minify: true });
    expect(result.package).toBeUndefined();
    expect(result.diagnostics.map((d) => `${d.code} ${d.file}(${d.line},${d.column})`)).toContain("KS2005 /project/src/user.ts(12,5)");
  });
});
