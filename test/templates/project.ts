/** A template as a user gets it: `kscript init` into a new folder, with kscript installed in its node_modules. */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { packageRoot } from "../../common/paths.js";

const bin = path.join(packageRoot, "bin", "kscript.js");

export const kscript = (args: string[], cwd: string) => spawnSync(process.execPath, [bin, ...args], { cwd, encoding: "utf8" });

export function newProject(template: string): string {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), "kscript-template-"));
  const dir = path.join(parent, `my-${template}`);
  const init = kscript(["init", template, dir], parent);
  expect(init.status, init.stderr).toBe(0);
  expect(JSON.parse(fs.readFileSync(path.join(dir, "tsconfig.json"), "utf8")).extends).toBe("kscript/tsconfig.base.json");
  fs.mkdirSync(path.join(dir, "node_modules"));
  fs.symlinkSync(packageRoot, path.join(dir, "node_modules", "kscript"));
  return dir;
}
