/**
 * A template as a user gets it: `kscript init` into a new folder, nothing installed yet (the kscript that
 * created it brings its SDK until `npm install`).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { packageRoot, sdkPackage } from "../../common/paths.js";

const bin = path.join(packageRoot, "bin", "kscript.js");

export const kscript = (args: string[], cwd: string) => spawnSync(process.execPath, [bin, ...args], { cwd, encoding: "utf8" });

export function newProject(template: string): string {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), "kscript-template-"));
  const dir = path.join(parent, `my-${template}`);
  const init = kscript(["init", template, dir], parent);
  expect(init.status, init.stderr).toBe(0);
  expect(JSON.parse(fs.readFileSync(path.join(dir, "tsconfig.json"), "utf8")).extends).toBe(`${sdkPackage.name}/tsconfig.base.json`);
  expect(JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).devDependencies).toEqual({ [sdkPackage.name]: `^${sdkPackage.version}` });
  return dir;
}
