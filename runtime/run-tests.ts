/**
 * `kscript test [dir] [vitest flags…]`: runs a project's vitest tests with the runtime wired in, so a project
 * needs no vitest config of its own: `kscript/testing` resolves to this runtime and `vitest` to the vitest
 * kscript runs with (one runner instance, whatever the project has installed).
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseCLI, startVitest } from "vitest/node";
import { PROJECT_ROOT_ENV } from "./testing.js";
import { BACKEND_ENV } from "./backends/index.js";
import { escapeRegExp } from "./errors.js";
import { packageRoot } from "../common/paths.js";
import { KscriptError, closeDevice, list, openDevice, unload } from "../device/client.js";

/** This file's folder: runtime/ in a checkout or in a built package's dist/. */
const here = path.dirname(fileURLToPath(import.meta.url));

/** A module of this kscript: the .ts in a checkout, the .js in a built package (`from` is relative to runtime/). */
function ownModule(from: string): string {
  const ts = path.join(here, `${from}.ts`);
  return fs.existsSync(ts) ? ts : path.join(here, `${from}.js`);
}

/**
 * This kscript's own JavaScript, loaded by Node as it is rather than through vite's transform: the runtime is
 * already compiled, and transforming it cost more than the tests themselves (in the kernel VM, under TCG, a
 * template's `kscript test --kernel` spent 10 of its 25 s there).
 */
const OWN_JAVASCRIPT = new RegExp(`^${escapeRegExp(path.dirname(here))}/.*\\.js$`);

/** The ESM entry of a package kscript depends on, from its package.json `exports` (require() gives the CJS one). */
function esmEntry(name: string): string {
  const manifest = createRequire(import.meta.url).resolve(`${name}/package.json`);
  const exports = JSON.parse(fs.readFileSync(manifest, "utf8")).exports["."];
  return path.join(path.dirname(manifest), exports.import.default ?? exports.import);
}

/** Runs the tests under `dir` and returns vitest's exit code (0 when every test passed). */
export async function runTests(dir: string, vitestArgs: readonly string[]): Promise<number> {
  const root = path.resolve(dir);
  const { filter, options } = parseCLI(["vitest", "run", ...vitestArgs]);
  const vitestEntry = esmEntry("vitest");
  const previousExit = process.exitCode;
  const previousRoot = process.env[PROJECT_ROOT_ENV];
  process.exitCode = undefined;
  process.env[PROJECT_ROOT_ENV] = root;
  try {
    // No config file is looked for (a folder above the project may hold another project's), and vite's cache
    // goes to a temporary folder: the project may be read-only (inside the kernel VM, `kscript test --kernel`).
    // A test's first loadHook of a hook not in the build cache loads the compiler and compiles: seconds, and
    // half a minute on a loaded machine, past vitest's default 5 s. Under emulation (kscript test --kernel runs
    // in qemu without KVM) everything is several times slower again.
    const slow = process.env[BACKEND_ENV] === "kernel" ? { testTimeout: 120_000, hookTimeout: 300_000 } : { testTimeout: 60_000, hookTimeout: 120_000 };
    const ctx = await startVitest("test", filter, { config: false, server: { deps: { external: [OWN_JAVASCRIPT] } }, ...slow, ...options, root, watch: options.watch ?? false }, {
      cacheDir: path.join(os.tmpdir(), "kscript-vite"),
      // Test files are transformed with the SDK's own base config: the project's tsconfig extends it through
      // node_modules, which a project does not have before `npm install` (kscript test runs before it does).
      tsconfig: path.join(packageRoot, "tsconfig.base.json"),
      resolve: {
        alias: [
          { find: /^kscript\/testing$/, replacement: ownModule("testing") },
          { find: /^kscript\/rules$/, replacement: ownModule("../rules/index") },
          { find: /^kscript\/zone$/, replacement: ownModule("../zone/index") },
          { find: /^vitest$/, replacement: vitestEntry },
        ],
      },
    });
    if (!ctx.shouldKeepServer()) await ctx.close();
    const failed = ctx.state.getCountOfFailedTests() > 0 || ctx.state.getUnhandledErrors().length > 0;
    return Number(process.exitCode ?? (failed ? 1 : 0));
  } finally {
    process.exitCode = previousExit;
    if (previousRoot === undefined) delete process.env[PROJECT_ROOT_ENV];
    else process.env[PROJECT_ROOT_ENV] = previousRoot;
  }
}

/** Names the kernel backend gives the scripts it loads: `<package>-<pid>-<n>`, and `…-c<cpu>` for a connection's copy. */
const TEST_SCRIPT = /-\d+-\d+(-c\d+)?$/;

/**
 * The project's tests against the loaded kscript.ko (`kscript test --kernel`): `loadHook` on the kernel
 * backend. What the tests loaded is unloaded afterwards here: vitest stops its workers with SIGTERM and kills
 * them soon after, which under emulation can come before a worker's own unload at exit.
 */
export async function runTestsInKernel(dir: string, vitestArgs: readonly string[]): Promise<number> {
  process.env[BACKEND_ENV] = "kernel";
  const fd = openDevice();
  const before = new Set(list(fd).map((s) => s.name));
  try {
    return await runTests(dir, vitestArgs);
  } finally {
    for (const { name } of list(fd)) {
      if (before.has(name) || !TEST_SCRIPT.test(name)) continue;
      try {
        unload(fd, name);
      } catch (error) {
        // A worker that was still exiting may have unloaded it meanwhile.
        if (!(error instanceof KscriptError && error.code === "ENOENT")) throw error;
      }
    }
    closeDevice(fd);
  }
}
