/**
 * Emulator vs native Lua on the same bundle and the same packets, in one run: prints packets per CPU second
 * for the local engine (Fengari, patched) and for Debian's lua5.3 with bench/runtime-shim.lua standing in for
 * the bindings, and their ratio. Both sides count the CPU time of their own process (Node's: every thread,
 * the collector's included; lua5.3's: os.clock), so a busy machine slows both alike. Target: the emulator at
 * 1/5 of native or better.
 *
 *   npm run build && node dist/bench/runtime.js [seconds-per-side]
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildEntry, writePackage } from "../compiler/build.js";
import { loadHook, tcpPacket, udpPacket } from "../runtime/testing.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const source = (file: string) => [path.join(here, file), path.join(here, "..", "..", "bench", file)].find((f) => fs.existsSync(f))!;
const seconds = Number(process.argv[2] ?? 2);

/** A mix of traffic: DNS, web, blocked ports, short TTLs, payloads of varied length. */
function packets(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < 1000; i++) {
    const payload = Uint8Array.from({ length: 16 + (i % 200) }, (_, j) => (i * 7 + j * 13) & 0xff);
    const src = `10.0.${i % 250}.${1 + (i % 200)}`;
    const dstPort = [53, 80, 443, 23, 3389, 8080][i % 6];
    out.push(
      i % 3 === 0
        ? tcpPacket({ src, dst: "10.1.0.1", srcPort: 1024 + i, dstPort, payload })
        : udpPacket({ src, dst: "10.1.0.1", srcPort: 1024 + i, dstPort, payload, ttl: i % 50 === 0 ? 1 : 64 }),
    );
  }
  return out;
}

const built = await buildEntry(source("runtime.hook.ts"), { target: "xdp", minify: true });
if (!built.ok || !built.package) throw new Error(JSON.stringify(built.diagnostics, null, 2));
const pkg = built.package;
const traffic = packets();

// Emulator: the hook as tests load it, one state.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kscript-bench-"));
writePackage(pkg, dir);
const hook = await loadHook(path.join(dir, `${pkg.name}.kscript.json`));
const emulatorActions = new Map<number, number>();
for (const p of traffic) {
  const a = hook.runXdp(p).action;
  emulatorActions.set(a, (emulatorActions.get(a) ?? 0) + 1);
}
/** CPU seconds this process has used, all threads. */
const cpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};
let emulated = 0;
const start = cpuSeconds();
while (cpuSeconds() - start < seconds) {
  for (const p of traffic) hook.runXdp(p);
  emulated += traffic.length;
}
const emulatorRate = emulated / (cpuSeconds() - start);

// Native: the same bundle text and packets in lua5.3.
const luaString = (b: Uint8Array) => `"${Array.from(b, (x) => `\\${x}`).join("")}"`;
fs.writeFileSync(path.join(dir, "packets.lua"), `return {\n${traffic.map(luaString).join(",\n")}\n}\n`);
const driver = `
dofile(${JSON.stringify(source("runtime-shim.lua"))})
assert(load(io.open(${JSON.stringify(path.join(dir, pkg.name + ".lua"))}):read("a"), "=${pkg.name}.lua", "t"))()
local packets = dofile(${JSON.stringify(path.join(dir, "packets.lua"))})
local counts = {}
for i = 1, #packets do local a = callback(data.new(packets[i])) counts[a] = (counts[a] or 0) + 1 end
local n, t0 = 0, os.clock()
while os.clock() - t0 < ${seconds} do
  for i = 1, #packets do callback(data.new(packets[i])) end
  n = n + #packets
end
local parts = {}
for a = 0, 4 do parts[#parts + 1] = tostring(counts[a] or 0) end
print(n / (os.clock() - t0), table.concat(parts, ","))
`;
const [nativeRateText, nativeCounts] = execFileSync("lua5.3", ["-"], { input: driver, encoding: "utf8" }).trim().split(/\s+/);
const nativeRate = Number(nativeRateText);
const emulatorCounts = [0, 1, 2, 3, 4].map((a) => emulatorActions.get(a) ?? 0).join(",");
if (emulatorCounts !== nativeCounts) throw new Error(`verdicts differ: emulator ${emulatorCounts}, native ${nativeCounts}`);

const ratio = emulatorRate / nativeRate;
console.log(`bundle ${pkg.name}.lua: ${pkg.manifest.size} bytes; ${traffic.length} packets; verdicts (aborted,drop,pass,tx,redirect) ${nativeCounts} on both`);
console.log(`emulator (Fengari, patched): ${Math.round(emulatorRate).toLocaleString("en")} packets per CPU second`);
console.log(`native lua5.3 + shim:        ${Math.round(nativeRate).toLocaleString("en")} packets per CPU second`);
fs.rmSync(dir, { recursive: true, force: true });
console.log(`ratio emulator/native: 1/${(1 / ratio).toFixed(1)} (${ratio.toFixed(3)}); target 1/5 or better: ${ratio >= 1 / 5 ? "met" : "NOT met"}`);
