/**
 * Runs a package under the system's Lua 5.3 (Debian's lua5.3) in a sandbox built from the dialect's
 * allowlist: only the listed base functions and library members exist, so a bundle that reached for io, os,
 * require, debug or float math would fail here the way it fails in the kernel.
 */
import { spawnSync } from "node:child_process";
import { BASE_FUNCTIONS, LIBRARIES } from "../../common/dialect.js";

export function lua53Available(): boolean {
  return spawnSync("lua5.3", ["-v"]).status === 0;
}

export function longString(text: string): string {
  let eq = "";
  while (text.includes(`]${eq}]`)) eq += "=";
  return `[${eq}[\n${text}]${eq}]`;
}

/** Lua source of a function `dialectEnv()` returning a fresh environment with exactly the dialect's globals. */
export function dialectEnvSource(): string {
  const libraries = Object.entries(LIBRARIES)
    .map(([lib, members]) => `env.${lib} = {} for _, k in ipairs({${members.map((m) => `"${m}"`).join(",")}}) do env.${lib}[k] = ${lib}[k] end`)
    .join("\n");
  return `local function dialectEnv()
local env = {}
for _, k in ipairs({${BASE_FUNCTIONS.map((f) => `"${f}"`).join(",")}}) do env[k] = _G[k] end
${libraries}
return env
end`;
}

/** Loads `chunk` in the sandbox, then evaluates `expression` (with `exports` = the chunk's return value). */
export function runInLua53(chunk: string, expression: string): { ok: boolean; output: string } {
  const runner = `
${dialectEnvSource()}
local env = dialectEnv()
local chunk = assert(load(${longString(chunk)}, "=hook", "t", env))
local exports = chunk()
local run = assert(load("local exports = ... return " .. ${longString(expression)}, "=test", "t", env))
io.write(tostring(run(exports)))
`;
  const result = spawnSync("lua5.3", ["-"], { input: runner, encoding: "utf8" });
  return { ok: result.status === 0, output: result.status === 0 ? result.stdout : result.stderr };
}
