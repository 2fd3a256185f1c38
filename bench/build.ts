/**
 * Cold build cost of kscript against raw TypeScript-to-Lua on the same sources, side by side in one run:
 * each round starts a fresh process for both tools (alternating, so machine noise hits both), and the
 * medians and their ratio are printed. Target: kscript ≤ 1.15× raw tstl.
 *   node dist/bench/build.js [rounds]
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { packageRoot } from "../common/paths.js";

const rounds = Number(process.argv[2] ?? 5);
const project = path.join(packageRoot, "bench", "build-project");
const commands = {
  tstl: [path.join(packageRoot, "node_modules", "typescript-to-lua", "dist", "tstl.js"), "-p", path.join(project, "tsconfig.tstl.json")],
  kscript: [path.join(packageRoot, "bin", "kscript.js"), "build", project],
};

function time(args: string[]): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${args.join(" ")} failed:\n${r.stdout}${r.stderr}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const samples: Record<keyof typeof commands, number[]> = { tstl: [], kscript: [] };
time(commands.tstl); // warm the file cache for both
for (let i = 0; i < rounds; i++) {
  for (const tool of Object.keys(commands) as (keyof typeof commands)[]) samples[tool].push(time(commands[tool]));
}
const tstl = median(samples.tstl);
const kscript = median(samples.kscript);
console.log(`cold build, ${rounds} rounds, 4 hooks: raw tstl ${tstl.toFixed(0)} ms, kscript build ${kscript.toFixed(0)} ms (check + bundle + minify + Lua check)`);
console.log(`ratio kscript/tstl: ${(kscript / tstl).toFixed(2)} (target <= 1.15)`);
