#!/usr/bin/env node
// npm run fuzz -- --stream N[,N…] --count M: the differential fuzzer (fuzz.test.ts) on more streams and programs.
import { spawnSync } from "node:child_process";

const args = process.argv.slice(2);
const value = (flag, fallback) => {
  const i = args.indexOf(flag);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const env = { ...process.env, FUZZ_STREAMS: value("--stream", "1"), FUZZ_COUNT: value("--count", "2000") };
const r = spawnSync("npx", ["vitest", "run", "test/differential/fuzz.test.ts"], { stdio: "inherit", env });
process.exit(r.status ?? 1);
