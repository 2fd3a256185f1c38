/**
 * A hook project as `npm install` leaves it: the SDK (this checkout) and TypeScript-to-Lua's language
 * extensions in its node_modules, a tsconfig that extends the SDK's base config, and an empty `src/`.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { packageRoot, sdkPackage } from "../../common/paths.js";

export function sdkProject(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const extensions = path.join("node_modules", "@typescript-to-lua", "language-extensions");
  fs.mkdirSync(path.join(dir, "node_modules", "@typescript-to-lua"), { recursive: true });
  fs.symlinkSync(packageRoot, path.join(dir, "node_modules", sdkPackage.name));
  fs.symlinkSync(path.join(packageRoot, extensions), path.join(dir, extensions));
  fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ extends: `${sdkPackage.name}/tsconfig.base.json`, include: ["src"] }));
  fs.mkdirSync(path.join(dir, "src"));
  return dir;
}
