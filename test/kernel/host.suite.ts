/**
 * A user's host and the kernel it boots next (lane h). On this machine, an SDK installed read-only from `npm
 * pack`'s tarball builds kscript.ko for the VM's kernel before it runs — `kscript module build --kdir … --btf
 * IMAGE`, from an empty cache, as for a kernel installed but not booted yet — then boots it with `kscript vm
 * --no-module … -- sh SCRIPT`. The guest, no kscript.ko loaded, takes that cache (the same disk, after the
 * reboot) and runs README's kernel steps as a user types them: `kscript doctor` (what is missing), `kscript
 * module build` (found in the cache), `install`, `load`, `kscript doctor` (all ✓), then `kscript deploy` of the
 * starter template on loopback and traffic through it, and `kscript module unload`. The script ends with `exit
 * 3`, which must come back as kscript vm's own exit status. (Built in the guest, under TCG, the modules took
 * most of the kernel tests' time.)
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { finished } from "../../common/child.js";
import { packageRoot, sdkPackage } from "../../common/paths.js";
import { commandScript, type Suite } from "./session.js";

const run = promisify(execFile);

/** The installed SDK's files with their sizes and modification times, to show that nothing wrote to it. */
export function snapshot(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .map((e) => path.join(e.parentPath, e.name))
    .map((f) => {
      const s = fs.lstatSync(f);
      return `${path.relative(dir, f)} ${s.size} ${s.mtimeMs}`;
    })
    .sort();
}

/** The SDK folder (npm's global prefix) and its snapshot, in the suite's work folder. */
export const sdkFolder = (work: string) => path.join(work, "sdk");
export const snapshotFile = (work: string) => path.join(work, "sdk-snapshot.json");
/** The host's `kscript module build`: its output and exit status (common/child.ts Finished). */
export const hostBuildFile = (work: string) => path.join(work, "module-build.json");


export const hostSuite: Suite = {
  name: "host",
  lane: "h",
  async prepare({ work, kernel, image }) {
    const pack = await run("npm", ["pack", "--ignore-scripts", "--pack-destination", work], { cwd: packageRoot });
    const tarball = path.join(work, pack.stdout.trim().split("\n").pop()!);
    const sdk = sdkFolder(work);
    await run("npm", ["install", "--global", "--prefix", sdk, "--no-audit", "--no-fund", "--prefer-offline", tarball], { cwd: work });
    const bin = path.join(sdk, "bin", "kscript");
    // The installed SDK's own command, not the session's (whose calls queue behind the other suites' builds).
    await run(bin, ["init", "starter", path.join(work, "starter")], { cwd: work });
    await run(bin, ["build", path.join(work, "starter")], { cwd: work });
    fs.copyFileSync(path.join(packageRoot, "test/kernel/host/udp.mjs"), path.join(work, "udp.mjs"));
    // Read-only for everyone; root ignores modes, so the test also compares the tree before and after.
    await run("chmod", ["-R", "a-w", sdk]);
    fs.writeFileSync(snapshotFile(work), JSON.stringify(snapshot(path.join(sdk, "lib", "node_modules", sdkPackage.name))));
    // From an empty cache: Lua's source fetched with apt-get, Linux's extracted, everything built. After the
    // session's own build (whatever its outcome), which the other lanes wait for: this lane has time to spare.
    await image.catch(() => undefined);
    const cache = path.join(work, "cache");
    const build = await finished(bin, ["module", "build", "--kdir", `/lib/modules/${kernel.kver}/build`, "--btf", kernel.kernel], { env: { ...process.env, KSCRIPT_CACHE_DIR: cache } });
    fs.writeFileSync(hostBuildFile(work), JSON.stringify(build));
    return {
      cwd: work,
      vm: bin,
      script:
        commandScript([
          // The cache the host built into, in the guest's tmpfs: the host's root is read-only here.
          `export KSCRIPT_CACHE_DIR=/run/cache && cp -a ${cache} /run/cache`,
          "kscript doctor",
          "kscript module load",
          "kscript module build",
          "kscript module install",
          "kscript module load",
          "kscript doctor",
          "kscript ls",
          "kscript deploy starter/dist/discard.kscript.json --xdp lo",
          "kscript ls",
          "node udp.mjs",
          "kscript stats discard",
          "kscript detach lo",
          "kscript module unload",
          "kscript ls",
        ]) + "exit 3\n",
    };
  },
};
