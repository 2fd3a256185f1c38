/**
 * The VM acting as a user's host (lane h): an SDK installed read-only from `npm pack`'s tarball boots it with
 * `kscript vm --no-module … -- sh SCRIPT`, and the guest — no kscript.ko loaded, an empty cache — runs
 * README's kernel steps as a user types them: `kscript doctor` (what is missing), `kscript module build`,
 * `install`, `load`, `kscript doctor` (all ✓), then `kscript deploy` of the starter template on loopback and
 * traffic through it, and `kscript module unload`. The script ends with `exit 3`, which must come back as
 * kscript vm's own exit status.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { packageRoot, sdkPackage } from "../../common/paths.js";
import { VM_CACHE } from "../../vm/vm.js";
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

/** The guest has no network: the one download the build makes (Lua's Debian source) comes from the host's cache. */
const LUA_TARBALL = "lua5.3_5.3.6.orig.tar.gz";

export const hostSuite: Suite = {
  name: "host",
  lane: "h",
  async prepare({ work }) {
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
    const downloads = '"$KSCRIPT_CACHE_DIR/module/downloads"';
    return {
      cwd: work,
      vm: bin,
      script:
        commandScript([
          // kscript's cache in the guest's tmpfs, as a host's is on its own disk: in the VM's share (9p)
          // every file the build extracts and compiles would cross to the host and back.
          `export KSCRIPT_CACHE_DIR=/run/cache && mkdir -p ${downloads} && cp ${path.join(VM_CACHE, "downloads", LUA_TARBALL)} ${downloads}/`,
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
