/**
 * The fixture projects' own tests (test/fixtures/<name>/test) through `kscript test`, in the emulator; the
 * kernel session runs the same files with --kernel (cli.suite.ts). Full suite only: each starts vitest anew.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../common/paths.js";
import { kscript } from "./project.js";

describe("fixture projects' own tests", () => {
  it.for(["limits", "int64", "errors"])("fixture %s passes its tests with kscript test", (name) => {
    const r = kscript(["test"], path.join(packageRoot, "test", "fixtures", name));
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Tests\s+.*\d+ passed/);
  });
});
