/**
 * Watch-mode rebuild latency: one Builder (one LanguageService) kept across rebuilds, a one-line edit to a
 * hook's source before each, timed through the whole pipeline (TS diagnostics, kscript checks, transpile,
 * bundle, minify, Lua check). Prints the median and p90. Target: median ≤ 100 ms.
 *   node dist/bench/watch.js [edits]
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Builder } from "../compiler/build.js";
import { loadProject } from "../compiler/project.js";
import { packageRoot } from "../common/paths.js";

const edits = Number(process.argv[2] ?? 30);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kscript-watch-"));
fs.mkdirSync(path.join(dir, "src"));
for (const name of ["classes", "collections", "strings", "control"]) {
  fs.copyFileSync(path.join(packageRoot, "test", "fixtures", "golden", `${name}.ts`), path.join(dir, "src", `${name}.ts`));
}
fs.writeFileSync(
  path.join(dir, "kscript.json"),
  JSON.stringify({ hooks: ["classes", "collections", "strings", "control"].map((n) => ({ name: n, entry: `src/${n}.ts` })) }),
);
const builder = new Builder(loadProject(dir));
const first = builder.build({ write: true });
if (!first.ok) throw new Error(JSON.stringify(first.diagnostics));

const edited = path.join(dir, "src", "strings.ts");
const original = fs.readFileSync(edited, "utf8");
const times: number[] = [];
for (let i = 0; i < edits; i++) {
  fs.writeFileSync(edited, original.replace('"  kscript  "', `"  kscript ${i} "`));
  const started = performance.now();
  builder.invalidate(edited);
  const result = builder.build({ write: true });
  times.push(performance.now() - started);
  if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
const p90 = times[Math.floor(times.length * 0.9)];
console.log(`watch rebuild after a one-line edit, ${edits} edits, 4 hooks: median ${median.toFixed(1)} ms, p90 ${p90.toFixed(1)} ms (target median <= 100 ms)`);
