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

/**
 * The SDK's npm name and version, read from its own package.json. The name is not `kscript` (an unrelated
 * package owns it on the registry); the command and the `kscript/…` import specifiers keep that name.
 */
export const sdkPackage: { name: string; version: string } = JSON.parse(fs.readFileSync(path.join(packageRoot, "package.json"), "utf8"));
