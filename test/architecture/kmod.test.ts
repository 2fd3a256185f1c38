/**
 * The kernel module's C files form no circle. File A depends on file B when A uses a non-static function or
 * variable that B defines (a definition at column 0, as kernel style writes them). Found with plain regexes
 * over the sources, comments and strings removed.
 */
import fs from "node:fs";
import path from "node:path";
import { expect, test } from "vitest";
import { BINDINGS } from "../../common/dialect.js";
import { packageRoot } from "../../common/paths.js";

const kmod = path.join(packageRoot, "kmod");
const FILES = [
  ...fs
    .readdirSync(path.join(kmod, "core"))
    .filter((f) => f.endsWith(".c"))
    .map((f) => `core/${f}`),
  "lua/klua.c",
  "tls/tls_lua.c",
];

function code(file: string): string {
  return fs
    .readFileSync(path.join(kmod, file), "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, " ")
    .replace(/\/\/.*$/gm, "")
    .replace(/"(?:\\.|[^"\\\n])*"/g, '""')
    .replace(/'(?:\\.|[^'\\\n])*'/g, "''");
}

/** Names defined at column 0 and not static: functions (`type name(` … `{`) and variables (`type name =` / `;`). */
function definitions(text: string): string[] {
  const names: string[] = [];
  const fn = /^(?!static\b|extern\b|typedef\b|struct\s+\w+\s*\{|enum\b|#)[A-Za-z_][\w \t*]*?\b(\w+)\s*\([^;{]*\)\s*\{/gm;
  for (const m of text.matchAll(fn)) names.push(m[1]!);
  const variable = /^(?!static\b|extern\b|typedef\b|#|return\b)(?:const\s+)?(?:unsigned\s+|signed\s+)?(?:struct\s+)?\w+[\s*]+(\w+)\s*(?:=[^;]*)?;/gm;
  for (const m of text.matchAll(variable)) names.push(m[1]!);
  return names;
}

function graph(): Map<string, Set<string>> {
  const texts = new Map(FILES.map((f) => [f, code(f)]));
  const definedIn = new Map<string, string>();
  for (const [file, text] of texts) for (const name of definitions(text)) definedIn.set(name, file);
  const deps = new Map<string, Set<string>>();
  for (const [file, text] of texts) {
    const uses = new Set<string>();
    // kscript_##name##_open over the generated KSCRIPT_BINDINGS(X): a use of each binding's function.
    const pasted = [...text.matchAll(/(\w*)##\w+##(\w*)/g)].flatMap(([, pre, post]) => Object.keys(BINDINGS).map((b) => `${pre}${b}${post}`));
    for (const [, name] of [...text.matchAll(/\b([A-Za-z_]\w*)\b/g), ...pasted.map((n) => [n, n])]) {
      const home = definedIn.get(name!);
      if (home && home !== file) uses.add(home);
    }
    deps.set(file, uses);
  }
  return deps;
}

/** A circle as a path that returns to its start, or undefined. */
function findCycle(deps: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (file: string): string[] | undefined => {
    if (state.get(file) === "done") return undefined;
    if (state.get(file) === "open") return [...stack.slice(stack.indexOf(file)), file];
    state.set(file, "open");
    stack.push(file);
    for (const dep of [...(deps.get(file) ?? [])].sort()) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(file, "done");
    return undefined;
  };
  for (const file of [...deps.keys()].sort()) {
    const cycle = visit(file);
    if (cycle) return cycle;
  }
  return undefined;
}

test("the parser sees the module's definitions and uses", () => {
  const deps = graph();
  // Known edges: if these vanish, the regexes no longer read the sources.
  expect(deps.get("core/main.c")).toContain("core/registry.c");
  expect(deps.get("core/xdp_hook.c")).toContain("core/call.c");
  expect(deps.get("tls/tls_lua.c")).toContain("core/conn.c");
  expect(deps.get("core/registry.c")).toContain("lua/klua.c");
  expect(deps.get("core/registry.c")).toContain("core/xdp.c");
});

test("a made-up circle is found and printed", () => {
  const deps = new Map([
    ["a.c", new Set(["b.c"])],
    ["b.c", new Set(["c.c"])],
    ["c.c", new Set(["a.c"])],
  ]);
  expect(findCycle(deps)).toEqual(["a.c", "b.c", "c.c", "a.c"]);
});

test("kmod's C files depend on each other without a circle", () => {
  const cycle = findCycle(graph());
  expect(cycle, `circle: ${cycle?.join(" → ")}`).toBeUndefined();
});
