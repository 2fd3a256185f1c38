/**
 * The real `kscript` CLI against the real kscript.ko, as a user types it in `kscript vm`: deploy, list, inspect
 * and unload a hook of each target (and be refused a taken name); and `kscript test --kernel` on every
 * template, which inside the VM runs the template's own tests against the loaded module.
 */
import fs from "node:fs";
import path from "node:path";
import { listTemplates } from "../../cli/init.js";
import { RCU_LIMITS } from "../../common/dialect.js";
import { packageRoot } from "../../common/paths.js";
import { buildHook } from "../../runtime/testing.js";
import { commandScript, type HostContext, type Suite } from "./session.js";

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
    await kscript(["build", tightProject(work)]);
    return {
      cwd: work,
      script: commandScript([
        "kscript deploy starter/dist/discard.kscript.json",
        "kscript deploy ktls-http/dist/router.kscript.json",
        "kscript deploy sock-http-validate/dist/validate.kscript.json",
        "kscript deploy limits/dist/sum.kscript.json",
        "kscript ls",
        "kscript unload sum",
        "kscript stats router",
        "kscript deploy starter/dist/discard.kscript.json",
        "kscript rcu set discard greeting hello",
        "kscript rcu get discard greeting",
        // One command, pairs in order, up to the table's size (greeting is one of its entries): the message
        // says where it stopped.
        `kscript rcu set discard $(seq 1 ${RCU_LIMITS.entries + 1} | sed 's/.*/k& &/')`,
        `kscript rcu get discard k${RCU_LIMITS.entries - 1}`,
        `kscript rcu get discard k${RCU_LIMITS.entries + 1}`,
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

/** A copy of a fixture project (test/fixtures/<name>) in the session's folder. */
function fixtureProject(work: string, name: string): string {
  const dir = path.join(work, name);
  if (!fs.existsSync(dir)) fs.cpSync(path.join(packageRoot, "test", "fixtures", name), dir, { recursive: true });
  return dir;
}

/** The limits fixture asks for 1000 instructions per call (kscript.json). */
const tightProject = (work: string) => fixtureProject(work, "limits");

/**
 * `kscript test --kernel` on a project, its hooks first built on the host into the session's build cache as its
 * tests load them: under TCG, loading the compiler alone would cost the guest a minute per test file.
 */
async function kernelTest(project: string, { cache }: HostContext): Promise<string> {
  const { hooks } = JSON.parse(fs.readFileSync(path.join(project, "kscript.json"), "utf8")) as { hooks: { entry: string }[] };
  for (const hook of hooks) await buildHook(path.join(project, hook.entry), { cacheDir: cache });
  return `KSCRIPT_CACHE_DIR=${cache} kscript test --kernel ${project}\n`;
}

/** A fixture project's own tests through `kscript test --kernel`, as for the templates. */
const fixtureSuite = (name: string, lane: Suite["lane"]): Suite => ({
  name,
  lane,
  prepare: async (ctx) => ({ cwd: ctx.work, script: await kernelTest(fixtureProject(ctx.work, name), ctx) }),
});

/** The package's budget reaches the kernel: the same test file stops the loop there as in the emulator. */
export const limitsSuite = fixtureSuite("limits", "a");
/** 64-bit integer work (hashes, CRC32, TCP sequence numbers, wire addresses) gives the emulator's answers. */
export const int64Suite = fixtureSuite("int64", "c");
/** A failing hook is reported at its TypeScript line, with the emulator's kind and message. */
export const errorsSuite = fixtureSuite("errors", "c");

/**
 * Every template's own tests, unchanged, against the real module: what passed in the emulator must pass here.
 * Each takes minutes under TCG (vitest starts in the guest): they alternate between the lanes, three in the one
 * whose other suites are shorter.
 */
export const templateSuites: Suite[] = listTemplates().map((t, i) => ({
  name: `template-${t.name}`,
  lane: i % 2 === 0 ? "a" : "b",
  prepare: async (ctx) => ({ cwd: packageRoot, script: await kernelTest(path.join(packageRoot, "templates", t.name), ctx) }),
}));
