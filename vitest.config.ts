import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Fixture projects carry their own tests, run by `kscript test` (test/kernel/cli.test.ts).
    exclude: [...configDefaults.exclude, "test/fixtures/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
