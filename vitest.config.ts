import { configDefaults, defineConfig } from "vitest/config";

/** Files only the full suite (`npm test`) runs: each is slow for what it adds to the edit loop (see each file). */
const FULL_ONLY = ["test/templates/own-tests.test.ts", "test/templates/fixtures.test.ts", "test/package/**/*.test.ts"];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // vitest's default on a 2-core machine is one worker; most files here wait on child processes.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        // No isolation: files share one compiler per worker instead of loading TypeScript each.
        // Fixture projects carry their own tests, run through `kscript test` by the tests that use them.
        test: { name: "fast", include: ["test/**/*.test.ts"], exclude: [...configDefaults.exclude, "test/kernel/**", "test/fixtures/**", ...FULL_ONLY], isolate: false },
      },
      { extends: true, test: { name: "e2e", include: FULL_ONLY } },
      {
        extends: true,
        test: {
          name: "kernel",
          include: ["test/kernel/**/*.test.ts"],
          // One guest session for every kernel suite: it starts here, boots while the other projects' files
          // run, and each kernel file waits for its suites' results.
          globalSetup: ["test/kernel/global-setup.ts"],
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
