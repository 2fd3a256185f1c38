/**
 * `kscript init <template> [dir]`: a new project from one of templates/, ready for `kscript build` and
 * `kscript test`. Its tsconfig extends the installed SDK's base config instead of the repository's, its
 * package.json depends on the SDK that created it (same name, compatible version), and it never writes into a
 * folder that already has something in it.
 */
import fs from "node:fs";
import path from "node:path";
import { UsageError, diagnostic } from "../common/diagnostics.js";
import { packageRoot, sdkPackage } from "../common/paths.js";

const TEMPLATES_DIR = path.join(packageRoot, "templates");
/** Build output and installed packages of a template used in place are not part of it. */
const SKIPPED = new Set(["dist", "node_modules"]);

export interface TemplateInfo {
  name: string;
  description: string;
}

export function listTemplates(): TemplateInfo[] {
  return fs
    .readdirSync(TEMPLATES_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(TEMPLATES_DIR, e.name, "package.json")))
    .map((e) => {
      const manifest = JSON.parse(fs.readFileSync(path.join(TEMPLATES_DIR, e.name, "package.json"), "utf8")) as { description?: string };
      return { name: e.name, description: manifest.description ?? "" };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function formatTemplateList(): string {
  const templates = listTemplates();
  const width = Math.max(...templates.map((t) => t.name.length));
  return templates.map((t) => `${t.name.padEnd(width)}  ${t.description}`).join("\n");
}

/** Creates the project and returns the files written, relative to it. */
export function initProject(template: string, dirArg: string | undefined, cwd: string): { dir: string; files: string[] } {
  const source = path.join(TEMPLATES_DIR, template);
  if (!/^[\w-]+$/.test(template) || !fs.existsSync(path.join(source, "package.json"))) {
    const names = listTemplates().map((t) => t.name).join(", ");
    throw new UsageError(diagnostic("KS4001", [`'${template}' is not a template. Templates: ${names} (kscript init --list).`]));
  }
  const dir = path.resolve(cwd, dirArg ?? template);
  if (fs.existsSync(dir) && (!fs.statSync(dir).isDirectory() || fs.readdirSync(dir).length > 0)) {
    throw new UsageError(diagnostic("KS4005", [dir]));
  }
  const files: string[] = [];
  const copy = (from: string, to: string) => {
    fs.mkdirSync(to, { recursive: true });
    for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
      if (SKIPPED.has(entry.name)) continue;
      const src = path.join(from, entry.name);
      const dst = path.join(to, entry.name);
      if (entry.isDirectory()) copy(src, dst);
      else if (entry.isFile()) {
        fs.copyFileSync(src, dst);
        files.push(path.relative(dir, dst));
      }
    }
  };
  copy(source, dir);

  const tsconfig = path.join(dir, "tsconfig.json");
  fs.writeFileSync(tsconfig, JSON.stringify({ extends: `${sdkPackage.name}/tsconfig.base.json`, include: ["src", "test"] }, null, 2) + "\n");
  const packageJson = path.join(dir, "package.json");
  const manifest = JSON.parse(fs.readFileSync(packageJson, "utf8")) as Record<string, unknown>;
  manifest.name = path.basename(dir).toLowerCase().replace(/[^a-z0-9._-]+/g, "-");
  manifest.devDependencies = { ...(manifest.devDependencies as object), [sdkPackage.name]: `^${sdkPackage.version}` };
  fs.writeFileSync(packageJson, JSON.stringify(manifest, null, 2) + "\n");
  return { dir, files: files.sort() };
}
