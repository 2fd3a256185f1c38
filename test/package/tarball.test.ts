/**
 * The SDK as a new user gets it, README's "your first hook" path command for command: `npm pack`'s tarball
 * installed globally (no build step runs: dist/ ships), then in an empty folder, for every template,
 * `kscript init`, `npm install <tarball>`, `npm test`, `npx kscript build`; and the editor plugin loading
 * from the installed project the way VS Code's tsserver finds it. Slow (npm installs every template's
 * dependencies, from npm's cache when it holds them): several minutes.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listTemplates } from "../../cli/init.js";
import { packageRoot, sdkPackage } from "../../common/paths.js";
import { TsServer, type ServerDiagnostic } from "../helpers/tsserver.js";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "kscript-package-"));
const globalPrefix = path.join(work, "global");
/** The user's PATH after a global install: the SDK's bin first, no checkout's node_modules/.bin. */
const env = { ...process.env, PATH: `${path.join(globalPrefix, "bin")}:${process.env.PATH}`, npm_config_update_notifier: "false" };
let tarball: string;

function run(command: string, args: string[], cwd: string) {
  const r = spawnSync(command, args, { cwd, env, encoding: "utf8", timeout: 600_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

beforeAll(() => {
  // dist/ is the one the suite was built with (npm test builds first), so the pack skips prepack's build.
  const pack = spawnSync("npm", ["pack", "--ignore-scripts", "--pack-destination", work], { cwd: packageRoot, encoding: "utf8" });
  expect(pack.status, pack.stderr).toBe(0);
  tarball = path.join(work, pack.stdout.trim().split("\n").pop()!);
  const install = run("npm", ["install", "--global", "--prefix", globalPrefix, "--no-audit", "--no-fund", "--prefer-offline", tarball], work);
  expect(install.status, install.output).toBe(0);
  // Nothing of the checkout came along: the installed SDK has its compiled code and no sources to compile.
  const installed = path.join(globalPrefix, "lib", "node_modules", sdkPackage.name);
  expect(fs.existsSync(path.join(installed, "dist", "cli", "main.js"))).toBe(true);
  expect(fs.existsSync(path.join(installed, "cli"))).toBe(false);
}, 900_000);

describe.each(listTemplates().map((t) => t.name))("from the tarball, template %s", (template) => {
  const projects = path.join(work, "projects");
  const dir = path.join(projects, template);

  it("kscript init, npm install <tarball>, npm test, npx kscript build", () => {
    fs.mkdirSync(projects, { recursive: true });
    const init = run("kscript", ["init", template], projects);
    expect(init.status, init.output).toBe(0);
    expect(init.output).toContain(`next: cd ${template} && npm install && npm test && npx kscript build`);
    const install = run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball], dir);
    expect(install.status, install.output).toBe(0);
    const test = run("npm", ["test"], dir);
    expect(test.status, test.output).toBe(0);
    expect(test.output).toMatch(/Tests\s+.*\d+ passed/);
    const build = run("npx", ["kscript", "build"], dir);
    expect(build.status, build.output).toBe(0);
    expect(build.output).toMatch(/^dist\/.*\.lua: (xdp|tls|sock) hook, \d+ bytes \(budget \d+\)$/m);
  }, 900_000);
});

describe("the editor plugin in an installed project", () => {
  const dir = path.join(work, "projects", "starter");
  let server: TsServer;
  afterAll(() => server?.close());

  it("is found by the project's own tsserver and reports kscript's checks", async () => {
    const hook = path.join(dir, "src", "discard.ts");
    const text = fs.readFileSync(hook, "utf8") + "\nexport const half = (n: number) => n / 2;\n";
    const lines = text.split("\n");
    server = new TsServer(path.join(dir, "node_modules", "typescript", "lib", "tsserver.js"), ["--disableAutomaticTypingAcquisition"]);
    await server.request("open", { file: hook, fileContent: text, projectRootPath: dir });
    const diagnostics = await server.request<ServerDiagnostic[]>("semanticDiagnosticsSync", { file: hook });
    expect(diagnostics.map((d) => ({ source: d.source, code: d.code, line: d.start.line }))).toEqual([
      { source: "kscript", code: 1003, line: lines.length - 1 },
    ]);
  }, 120_000);
});
