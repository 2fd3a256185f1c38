/**
 * The on-disk build cache behind loadHook: a later process gets the same package without the compiler, and
 * never a stale one — an edit to the hook, to a file it imports or to the project's config is a miss.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readCachedBuild } from "../../compiler/build-cache.js";
import { buildHook } from "../../runtime/testing.js";

function project(): { dir: string; entry: string; cache: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kscript-cache-"));
  fs.mkdirSync(path.join(dir, "src"));
  fs.writeFileSync(path.join(dir, "kscript.json"), JSON.stringify({ hooks: [{ name: "gate", entry: "src/gate.ts", target: "tls" }] }));
  fs.writeFileSync(path.join(dir, "src/limits.ts"), "export function limit(): number {\n  return 100;\n}\n");
  fs.writeFileSync(
    path.join(dir, "src/gate.ts"),
    'import { limit } from "./limits";\nexport function recv(msg: string): LuaMultiReturn<[number, string]> {\n  return $multi(msg.length < limit() ? 0 : 413, "/x");\n}\n',
  );
  return { dir, entry: path.join(dir, "src/gate.ts"), cache: path.join(dir, ".cache") };
}

const request = (entry: string) => ({ entry, target: "tls", minify: true });

describe("build cache", () => {
  it("serves a later process the same package, from a cache it can only read", async () => {
    const { entry, cache } = project();
    expect(readCachedBuild(request(entry), cache)).toBeUndefined();
    const built = await buildHook(entry, { cacheDir: cache });
    expect(readCachedBuild(request(entry), cache)).toEqual(built);
    // Another process, the compiler never loaded: the package comes from the cache, even read-only.
    fs.chmodSync(path.join(cache, "builds"), 0o555);
    // A resolve hook that fails any import of TypeScript or TypeScript-to-Lua proves the compiler stays unloaded.
    const refuse = `export async function resolve(s, c, next) { if (/^typescript(-to-lua)?($|\\/)/.test(s)) throw new Error("compiler loaded: " + s); return next(s, c); }`;
    const script = `
      import { register } from "node:module";
      register("data:text/javascript," + encodeURIComponent(${JSON.stringify(refuse)}));
      const { buildHook } = await import(${JSON.stringify(path.resolve(import.meta.dirname, "../../dist/runtime/testing.js"))});
      const pkg = await buildHook(${JSON.stringify(entry)}, { cacheDir: ${JSON.stringify(cache)} });
      process.stdout.write(JSON.stringify({ lua: pkg.lua }));`;
    const out = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" }));
    expect(out.lua).toBe(built.lua);
  });

  it("misses after an edit to the hook, to a file it imports, or to the project's config", async () => {
    const { dir, entry, cache } = project();
    await buildHook(entry, { cacheDir: cache });
    fs.writeFileSync(path.join(dir, "src/limits.ts"), "export function limit(): number {\n  return 4242;\n}\n");
    expect(readCachedBuild(request(entry), cache)).toBeUndefined();
    expect((await buildHook(entry, { cacheDir: cache })).lua).toContain("4242");
    expect(readCachedBuild(request(entry), cache)?.lua).toContain("4242");

    fs.appendFileSync(entry, "// edited\n");
    expect(readCachedBuild(request(entry), cache)).toBeUndefined();
    await buildHook(entry, { cacheDir: cache });

    fs.writeFileSync(path.join(dir, "kscript.json"), JSON.stringify({ hooks: [{ name: "gate", entry: "src/gate.ts", target: "tls" }], limits: { instructions: 5000 } }));
    expect(readCachedBuild(request(entry), cache)).toBeUndefined();
    expect((await buildHook(entry, { cacheDir: cache })).manifest.limits.instructions).toBe(5000);
  });

  it("keys by the build's options: another minify setting is another entry", async () => {
    const { entry, cache } = project();
    const small = await buildHook(entry, { cacheDir: cache });
    const readable = await buildHook(entry, { cacheDir: cache, minify: false });
    expect(readable.lua).not.toBe(small.lua);
    expect(readCachedBuild({ ...request(entry), minify: false }, cache)?.lua).toBe(readable.lua);
    expect(readCachedBuild(request(entry), cache)?.lua).toBe(small.lua);
  });
});
