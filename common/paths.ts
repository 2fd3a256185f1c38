import fs from "node:fs";
import os from "node:os";
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

/**
 * kscript's cache folder (the VM's kernel, module builds, fetched sources): $KSCRIPT_CACHE_DIR, else a git
 * checkout's own `.cache/` (ignored by git; the repository's tests keep theirs there), else the user's
 * cache folder ($XDG_CACHE_HOME/kscript, default ~/.cache/kscript). Never inside an installed package, which
 * may be read-only and is replaced on every install.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env, root = packageRoot): string {
  if (env.KSCRIPT_CACHE_DIR) return path.resolve(env.KSCRIPT_CACHE_DIR);
  if (fs.existsSync(path.join(root, ".git"))) return path.join(root, ".cache");
  // The XDG spec: a relative XDG_CACHE_HOME is invalid and ignored.
  const xdg = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : undefined;
  return path.join(xdg ?? path.join(os.homedir(), ".cache"), "kscript");
}
