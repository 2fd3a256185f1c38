/**
 * Runs generated programs on backends and compares what they print. A program's chunk is plain Lua text
 * defining a global `main()` that returns one printable line, so any backend that can load a chunk and call
 * a function — the emulator, Debian's lua5.3 with the dialect applied, kscript.ko through test-run
 * (runtime/backends/kernel.ts) — can run the same programs; results are compared as strings.
 */
import { spawnSync } from "node:child_process";
import { Engine } from "../../runtime/engine.js";
import { HookError } from "../../runtime/errors.js";
import { dialectEnvSource, longString } from "../helpers/lua53.js";
import { LUA53 } from "../runtime/lua53.js";
import type { Program } from "./generate.js";

/** The chunk of a program: helpers that render values as printable ASCII, then the statements. */
export function chunk(statements: readonly string[]): string {
  return `local function show(v)
  local t = math.type(v) or type(v)
  if t == "string" then return '"' .. string.gsub(v, "[^%w ]", function(c) return "\\\\" .. string.byte(c) end) .. '"' end
  if t == "integer" or t == "boolean" or t == "nil" then return tostring(v) end
  return t
end
local function res(ok, v) if ok then return show(v) end return "E:" .. show(v) end
function main()
local out = {}
${statements.join("\n")}
return table.concat(out, " | ")
end
`;
}

export interface ProgramBackend {
  name: string;
  /** One printable line per chunk, in order. */
  run(chunks: readonly string[]): string[];
}

export const emulator: ProgramBackend = {
  name: "emulator",
  run(chunks) {
    return chunks.map((c) => {
      try {
        return String(new Engine(c, { target: "module", chunkName: "prog" }).state().call("main", [], 1)[0]);
      } catch (e) {
        if (e instanceof HookError) return `failed (${e.kind}): ${e.luaMessage}`;
        throw e;
      }
    });
  },
};

/** Debian's lua5.3, one process per batch, each chunk in a fresh environment holding only the dialect's globals. */
export const lua53: ProgramBackend = {
  name: "lua5.3",
  run(chunks) {
    const driver = `${dialectEnvSource()}
local chunks = {
${chunks.map((c) => longString(c)).join(",\n")}
}
for i = 1, #chunks do
  local env = dialectEnv()
  local f, err = load(chunks[i], "=prog", "t", env)
  local ok, r
  if f then ok, r = pcall(f) end
  if not f then io.write("failed (syntax): ", err, "\\n")
  elseif not ok then io.write("failed (runtime): ", tostring(r), "\\n")
  else
    ok, r = pcall(env.main)
    io.write(ok and r or "failed (runtime): " .. tostring(r), "\\n")
  end
end
`;
    const p = spawnSync(LUA53, ["-"], { input: driver, encoding: "latin1", maxBuffer: 1 << 28 });
    if (p.status !== 0) throw new Error(`${LUA53} failed: ${p.stderr}`);
    const lines = p.stdout.split("\n").slice(0, -1);
    if (lines.length !== chunks.length) throw new Error(`${LUA53} printed ${lines.length} results for ${chunks.length} programs`);
    return lines;
  },
};

export interface Difference {
  program: Program;
  /** The smallest statement list found that still differs, as one line of Lua. */
  reproducer: string;
  results: Record<string, string>;
}

/** Drops statements while the backends still disagree: what is left is the difference's reproducer. */
export function shrink(statements: readonly string[], backends: readonly ProgramBackend[]): string[] {
  const differs = (s: readonly string[]) => new Set(backends.map((b) => b.run([chunk(s)])[0])).size > 1;
  let current = [...statements];
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = 0; i < current.length; i++) {
      const candidate = current.filter((_, k) => k !== i);
      if (differs(candidate)) {
        current = candidate;
        changed = true;
        i--;
      }
    }
  }
  return current;
}

/** Runs `programs` on every backend; returns each difference, shrunk. */
export function compare(programs: readonly Program[], backends: readonly ProgramBackend[]): Difference[] {
  const chunks = programs.map((p) => chunk(p.statements));
  const results = backends.map((b) => b.run(chunks));
  const differences: Difference[] = [];
  programs.forEach((program, i) => {
    if (new Set(results.map((r) => r[i])).size === 1) return;
    const small = shrink(program.statements, backends);
    differences.push({
      program,
      reproducer: small.join(" "),
      results: Object.fromEntries(backends.map((b) => [b.name, b.run([chunk(small)])[0]])),
    });
  });
  return differences;
}

/** One line per difference: how to regenerate it, the Lua that shows it, and what each backend printed. */
export function report(d: Difference): string {
  const outcomes = Object.entries(d.results).map(([name, r]) => `${name}: ${r}`).join(" ;; ");
  return `stream ${d.program.stream} #${d.program.index}: ${d.reproducer} --> ${outcomes}`;
}
