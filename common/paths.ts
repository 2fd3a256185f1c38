import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The kscript package's root folder, whether this runs from the TypeScript sources or from dist/. */
function findPackageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("kscript: cannot find the package root from " + import.meta.url);
    dir = parent;
  }
  return dir;
}

export const packageRoot = findPackageRoot();
