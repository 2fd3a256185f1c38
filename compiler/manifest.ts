/**
 * A built package as the loader and the runtime read it: `<name>.lua`, `<name>.kscript.json` and
 * `<name>.lua.map`. Apart from the packager (package.ts) so that reading a package does not load the compiler:
 * `kscript deploy` and the other kernel commands start in a fraction of the time.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Limits, Target } from "../common/dialect.js";
import type { SourceMapV3 } from "./sourcemap.js";

export interface Manifest {
  name: string;
  target: Target | "module";
  /** The global the kernel calls, or null for a plain module. */
  entry: string | null;
  size: number;
  sha256: string;
  dialect: "lua5.3-int64";
  bindings: string[];
  /** The script's size budget (bytes), and what each call may spend (common/dialect.ts Limits). */
  limits: { size: number } & Limits;
}

export interface HookPackage {
  name: string;
  lua: string;
  manifest: Manifest;
  /** Source map with absolute source paths. */
  map: SourceMapV3;
}

/** A package on disk that is missing, unreadable or not what its manifest says. */
export class PackageError extends Error {}

/**
 * Reads `<name>.lua`, `<name>.kscript.json` and `<name>.lua.map`, given any of them or their common stem, and
 * checks the chunk against its manifest (sha256, size budget) so nothing edited after the build gets loaded.
 */
export function readPackage(file: string): HookPackage {
  const stem = path.resolve(file.replace(/(\.kscript\.json|\.lua\.map|\.lua)$/, ""));
  const manifestFile = `${stem}.kscript.json`;
  const luaFile = `${stem}.lua`;
  for (const f of [manifestFile, luaFile]) {
    if (!fs.existsSync(f)) throw new PackageError(`${f} does not exist. Build the hook first: kscript build.`);
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8")) as Manifest;
  } catch (error) {
    throw new PackageError(`${manifestFile} is not a package manifest: ${(error as Error).message}.`);
  }
  const lua = fs.readFileSync(luaFile, "utf8");
  if (crypto.createHash("sha256").update(lua).digest("hex") !== manifest.sha256) {
    throw new PackageError(`${luaFile} changed after it was built (its sha256 differs from the manifest). Rebuild it with kscript build.`);
  }
  const size = Buffer.byteLength(lua);
  if (size > manifest.limits.size) throw new PackageError(`${luaFile} is ${size} bytes, over its budget of ${manifest.limits.size}.`);
  const mapFile = `${stem}.lua.map`;
  const map = fs.existsSync(mapFile)
    ? (JSON.parse(fs.readFileSync(mapFile, "utf8")) as SourceMapV3)
    : { version: 3 as const, sources: [], names: [], mappings: "" };
  // The map's sources are relative to the map; make them absolute like a freshly built package's.
  map.sources = map.sources.map((s) => path.resolve(path.dirname(stem), s));
  return { name: manifest.name, lua, manifest, map };
}
