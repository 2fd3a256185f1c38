/**
 * The architecture as a test (docs/architecture.md): imports between the project's parts run one way, and no
 * module imports itself back through others. Type-only and dynamic imports count: they are dependencies too.
 */
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../common/paths.js";

/** What each part may import besides itself. Anything not listed is an arrow the wrong way. */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  common: [],
  compiler: ["common"],
  rules: ["common"],
  zone: ["common"],
  device: ["common"],
  vm: ["common"],
  runtime: ["compiler", "common", "device"],
  cli: ["compiler", "common", "rules", "zone", "device", "vm", "runtime"],
  stdlib: [],
  // The tsserver plugin runs the compiler's check over the editor's program.
  editor: ["compiler", "common"],
  // The project's own tests and benchmarks may use any part; no part may use them.
  test: ["cli", "compiler", "common", "rules", "zone", "device", "vm", "runtime", "editor", "stdlib"],
  bench: ["compiler", "common", "zone", "device", "vm", "runtime"],
};

const SOURCE = /\.(ts|cts|mts|cjs|js)$/;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "fixtures" || e.name === "node_modules" ? [] : sourceFiles(full);
    return SOURCE.test(e.name) && !e.name.endsWith(".d.ts") && !e.name.endsWith(".d.cts") ? [full] : [];
  });
}

/** The project's own file an import specifier names (.js in ESM specifiers stands for the .ts source). */
function resolveLocal(from: string, spec: string): string | undefined {
  if (!spec.startsWith(".")) return undefined;
  const base = path.resolve(path.dirname(from), spec);
  for (const candidate of [base, base.replace(/\.js$/, ".ts"), base.replace(/\.cjs$/, ".cts"), `${base}.ts`, path.join(base, "index.ts")]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const part of Object.keys(ALLOWED)) {
    const dir = path.join(packageRoot, part);
    if (!fs.existsSync(dir)) continue;
    for (const file of sourceFiles(dir)) {
      const info = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true);
      const targets = info.importedFiles.map((f) => resolveLocal(file, f.fileName)).filter((f): f is string => f !== undefined);
      graph.set(rel(file), [...new Set(targets.map(rel))]);
    }
  }
  return graph;
}

const rel = (file: string) => path.relative(packageRoot, file).split(path.sep).join("/");
const partOf = (file: string) => file.split("/")[0];

/** Strongly connected components with more than one file (or a file importing itself): the import circles. */
export function circles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe("import graph", () => {
  const graph = importGraph();

  it("sees the parts' files", () => {
    for (const part of ["cli", "compiler", "common", "device", "runtime", "vm", "rules"]) {
      expect([...graph.keys()].some((f) => partOf(f) === part), part).toBe(true);
    }
  });

  it("has no arrow running the wrong way", () => {
    const wrong: string[] = [];
    for (const [from, targets] of graph) {
      for (const to of targets) {
        const [a, b] = [partOf(from), partOf(to)];
        if (a !== b && !ALLOWED[a]?.includes(b)) wrong.push(`${from} → ${to} (${a} may import ${ALLOWED[a]?.join(", ") || "nothing"})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("has no circle", () => {
    expect(circles(graph)).toEqual([]);
  });

  it("finds circles when there are some", () => {
    const broken = new Map([
      ["runtime/a.ts", ["runtime/b.ts"]],
      ["runtime/b.ts", ["runtime/c.ts"]],
      ["runtime/c.ts", ["runtime/a.ts"]],
      ["runtime/d.ts", ["runtime/d.ts"]],
    ]);
    expect(circles(broken)).toEqual([["runtime/a.ts", "runtime/b.ts", "runtime/c.ts"], ["runtime/d.ts"]]);
  });
});
