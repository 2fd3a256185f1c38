/**
 * Builds of single hooks kept on disk, so that a test process which loads a hook built before (an earlier
 * `kscript test`, or the kernel session's host before the guest runs) skips the TypeScript compiler, whose
 * load alone takes seconds (a minute in the VM under TCG). This module must not import the compiler: a hit
 * costs a few file reads and hashes.
 *
 * An entry is found by what the build was asked for (entry file, options, the project's config files, the
 * SDK's own files) and is used only if every source file the build read still has the bytes it had then.
 * Entries live in `builds/` of kscript's cache folder (common/paths.ts).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { cacheRoot, packageRoot, sdkPackage } from "../common/paths.js";
import type { HookPackage } from "./manifest.js";

export interface BuildRequest {
  entry: string;
  target: string;
  minify: boolean;
}

interface CacheEntry {
  /** Each source file the build read, with the sha256 of its bytes. */
  sources: [file: string, sha256: string][];
  package: HookPackage;
}

const sha256 = (data: string | Buffer) => crypto.createHash("sha256").update(data).digest("hex");

let sdkIdentity: string | undefined;
/**
 * The SDK as a compiler: its version and the size and time of every file that decides what a build produces
 * (compiled code, the stdlib declarations, the Lua helpers), and the versions of TypeScript and
 * TypeScript-to-Lua it runs with. A rebuilt or upgraded SDK misses every entry.
 */
function sdk(): string {
  if (sdkIdentity !== undefined) return sdkIdentity;
  const parts: string[] = [sdkPackage.version];
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = fs.readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const file = path.join(dir, name);
      const st = fs.statSync(file);
      if (st.isDirectory()) walk(file);
      else parts.push(`${path.relative(packageRoot, file)} ${st.size} ${st.mtimeMs}`);
    }
  };
  for (const dir of ["dist/compiler", "dist/common", "stdlib", "compiler/lualib"]) walk(path.join(packageRoot, dir));
  const require = createRequire(path.join(packageRoot, "package.json"));
  for (const dep of ["typescript", "typescript-to-lua"]) parts.push(`${dep} ${require(`${dep}/package.json`).version}`);
  return (sdkIdentity = sha256(parts.join("\n")));
}

/** The project's config files around the entry, as the build finds them (nearest folder with either). */
function configTexts(entry: string): string[] {
  for (let dir = path.dirname(entry); ; dir = path.dirname(dir)) {
    const files = ["kscript.json", "tsconfig.json"].map((f) => path.join(dir, f)).filter((f) => fs.existsSync(f));
    if (files.length > 0) return files.flatMap((f) => [f, fs.readFileSync(f, "utf8")]);
    if (path.dirname(dir) === dir) return [];
  }
}

function entryFile(request: BuildRequest, root: string): string {
  const key = sha256(JSON.stringify({ sdk: sdk(), ...request, configs: configTexts(request.entry) }));
  return path.join(root, "builds", `${key}.json`);
}

/** The cached package for this request, if its sources are unchanged; undefined on any doubt. */
export function readCachedBuild(request: BuildRequest, root = cacheRoot()): HookPackage | undefined {
  try {
    const cached = JSON.parse(fs.readFileSync(entryFile(request, root), "utf8")) as CacheEntry;
    for (const [file, hash] of cached.sources) if (sha256(fs.readFileSync(file)) !== hash) return undefined;
    return cached.package;
  } catch {
    return undefined;
  }
}

/**
 * Keeps a successful build. A cache that cannot be written (read-only, full) only costs the next build its
 * time, so failures are ignored; the file appears whole or not at all (rename).
 */
export function writeCachedBuild(request: BuildRequest, pkg: HookPackage, sources: readonly string[], root = cacheRoot()): void {
  try {
    const file = entryFile(request, root);
    const entry: CacheEntry = { sources: sources.map((f) => [f, sha256(fs.readFileSync(f))]), package: pkg };
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(entry));
    fs.renameSync(tmp, file);
  } catch {
    // Not kept: the next load builds again.
  }
}
