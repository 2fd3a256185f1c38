/**
 * The real `kscript` CLI against the real kscript.ko, as a user types it in `kscript vm`: deploy, list, inspect
 * and unload a hook of each target (and be refused a taken name); and `kscript test --kernel` on every
 * template, which inside the VM runs the template's own tests against the loaded module.
 */
import path from "node:path";
import { listTemplates } from "../../cli/init.js";
import { packageRoot } from "../../common/paths.js";
import { commandScript, type Suite } from "./session.js";

export const cliSuite: Suite = {
  name: "cli",
  lane: "a",
  async prepare({ work, kscript }) {
    await Promise.all(
      ["starter", "ktls-http", "sock-http-validate"].map(async (t) => {
        await kscript(["init", t, path.join(work, t)]);
        await kscript(["build", path.join(work, t)]);
      }),
    );
    return {
      cwd: work,
      script: commandScript([
        "kscript deploy starter/dist/discard.kscript.json",
        "kscript deploy ktls-http/dist/router.kscript.json",
        "kscript deploy sock-http-validate/dist/validate.kscript.json",
        "kscript ls",
        "kscript stats router",
        "kscript deploy starter/dist/discard.kscript.json",
        "kscript rcu set discard greeting hello",
        "kscript rcu get discard greeting",
        "kscript rcu get router greeting",
        "kscript unload discard",
        "kscript unload router",
        "kscript unload validate",
        "kscript ls",
        "kscript unload validate",
      ]),
    };
  },
};

/**
 * Every template's own tests, unchanged, against the real module: what passed in the emulator must pass here.
 * Each takes minutes under TCG (vitest starts, the hooks compile): they alternate between the lanes, three in
 * the one whose other suites are shorter.
 */
export const templateSuites: Suite[] = listTemplates().map((t, i) => ({
  name: `template-${t.name}`,
  lane: i % 2 === 0 ? "a" : "b",
  prepare: async () => ({ cwd: packageRoot, script: `kscript test --kernel ${path.join(packageRoot, "templates", t.name)}\n` }),
}));
