/**
 * Every template's own tests pass through `kscript test` in a new project, as a user runs them. In the full
 * suite only (`npm test`, not `test:fast`): each run starts vitest in a new process and compiles the hooks
 * again, about half the fast suite's time, while the engine and compiler they exercise have tests of their
 * own there. The kernel suite runs the same tests with --kernel.
 */
import { describe, expect, it } from "vitest";
import { listTemplates } from "../../cli/init.js";
import { kscript, newProject } from "./project.js";

describe("templates' own tests", () => {
  it.for(listTemplates().map((t) => t.name))("template %s passes its own tests with kscript test", (name) => {
    const r = kscript(["test"], newProject(name));
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Tests\s+.*\d+ passed/);
  });
});
