/** The `kscript` command as users run it: a real process, real files, exit codes and printed diagnostics. */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { originalPosition, type SourceMapV3 } from "../../compiler/sourcemap.js";

const bin = path.resolve(import.meta.dirname, "../../bin/kscript.js");

function kscript(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function project(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kscript-cli-"));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const HOOK = `import { format } from "kscript/string";

export function recv(msg: string): LuaMultiReturn<[number, string?]> {
  if (msg.startsWith("GET ")) {
    return $multi(200, format("/srv%s", msg.substring(4)));
  }
  return $multi(0);
}
`;

describe("kscript --version", () => {
  it("prints the SDK's version from its package.json and the protocol it speaks", () => {
    const { version } = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, "../../package.json"), "utf8")) as { version: string };
    for (const flag of ["--version", "-V"]) {
      const r = kscript([flag], os.tmpdir());
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^kscript ${version.replace(/\./g, "\\.")} \\(kscript-sdk\\), /dev/kscript protocol \\d+\\n$`));
    }
    const extra = kscript(["--version", "x"], os.tmpdir());
    expect(extra.code).toBe(2);
    expect(extra.stderr).toContain("'--version' takes no arguments, got 1.");
  });
});

describe("kscript build", () => {
  it("writes the three package files for a clean hook", () => {
    const dir = project({
      "src/router.ts": HOOK,
      "kscript.json": JSON.stringify({ hooks: [{ name: "router", entry: "src/router.ts", target: "tls" }] }),
    });
    const r = kscript(["build"], dir);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/dist\/router\.lua: tls hook, \d+ bytes/);
    const lua = fs.readFileSync(path.join(dir, "dist/router.lua"), "utf8");
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "dist/router.kscript.json"), "utf8"));
    expect(manifest).toMatchObject({ name: "router", target: "tls", entry: "recv", size: Buffer.byteLength(lua), dialect: "lua5.3-int64" });
    expect(manifest.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(lua).toMatch(/\brecv=/);
    expect(lua).not.toMatch(/originalRequire|--\[\[/);
    const map = JSON.parse(fs.readFileSync(path.join(dir, "dist/router.lua.map"), "utf8")) as SourceMapV3;
    expect(map.sources).toContain("../src/router.ts");
    const returnLine = lua.split("\n").findIndex((l) => l.includes("200")) + 1;
    expect(originalPosition(map, returnLine)).toMatchObject({ line: 5 });
  });

  it("prints tsc-style diagnostics, exits 1 and writes nothing for a violating hook", () => {
    const dir = project({ "src/index.ts": "export function half(n: number): number {\n  return n / 2;\n}\n" });
    const r = kscript(["build", "."], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      "src/index.ts(2,12): error KS1003: '/' produces a float in Lua. Use idiv(a, b) from 'kscript/int' or Math.floor(a / b) for floor division.\n",
    );
    expect(fs.existsSync(path.join(dir, "dist"))).toBe(false);
  });

  it("gives --json diagnostics for tools", () => {
    const dir = project({ "src/index.ts": "export const x = 1.5;\n" });
    const r = kscript(["check", "--json"], dir);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: false, diagnostics: [{ code: "KS1001", line: 1, column: 18 }] });
  });

  it("answers usage and I/O problems with one line and exit 2", () => {
    const dir = project({ "src/index.ts": "export const x = 1;\n", "kscript.json": '{"hooks":[{"entry":"src/index.ts","target":"ebpf"}]}' });
    for (const [args, pattern] of [
      [["build"], /^kscript: kscript\.json: error KS4004: 'ebpf' is not a hook target/],
      [["build", "missing"], /^kscript: error KS4002: .*missing does not exist/],
      [["build", "--frobnicate"], /^kscript: error KS4001: unknown option '--frobnicate'/],
      [["deploy-everything"], /^kscript: error KS4001: unknown command/],
    ] as const) {
      const r = kscript([...args], dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
  });

  it("builds a project without declared hooks as a plain module from src/index.ts", () => {
    const dir = project({ "src/index.ts": "export function add(a: number, b: number): number {\n  return a + b;\n}\n", "package.json": '{"name":"@me/adder"}' });
    expect(kscript(["build", "--no-minify"], dir).code).toBe(0);
    const lua = fs.readFileSync(path.join(dir, "dist/adder.lua"), "utf8");
    expect(lua).toContain("function ____exports.add(a, b)");
  });
});
