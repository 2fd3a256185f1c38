/**
 * SM4-GCM and SM4-CCM (RFC 8998) through kscript's tls.ko, with the SM4 cipher Debian's kernel lacks built
 * from linux-source (kmod/sm4). No handshake: test/kernel/sm4/sm4-ktls.c gives both ends of a loopback TCP
 * connection the same keys with setsockopt(SOL_TLS, TLS_TX / TLS_RX), prints the records as TCP carried
 * them, and lets the ktls-http router (attached by name) decide on what the receiver decrypted. Each mode
 * and record version gets fresh random keys, printed in the log so the test can compute the records itself.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { packageRoot } from "../../common/paths.js";
import { WAIT_HELPERS, type Suite } from "./session.js";

export const SM4_CASES = [
  { mode: "gcm", version: "1.2" },
  { mode: "gcm", version: "1.3" },
  { mode: "ccm", version: "1.2" },
  { mode: "ccm", version: "1.3" },
] as const;

/**
 * The requests, one record each: a GET split over the first two (sent before the receiver has its keys, so
 * their bytes are read off the wire; the second is long, so the AEADs run over many blocks and CCM encodes a
 * length above 255), then a 404 and junk, each decided before the next is sent.
 */
export const SM4_REQUESTS = [
  "GET /hello.txt HTTP/1.1\r\nHo",
  `st: sm4\r\nX-Pad: ${"0123456789abcdef".repeat(190)}\r\n\r\n`,
  "GET /missing.txt HTTP/1.1\r\nHost: sm4\r\n\r\n",
  "junk\r\n\r\n",
];

const hex = (s: string) => Buffer.from(s).toString("hex");

export const sm4Suite: Suite = {
  name: "sm4",
  lane: "c",
  async prepare({ image: built, work, kscript }) {
    const site = path.join(work, "site");
    await kscript(["init", "ktls-http", site]);
    await kscript(["build"], site);
    const tool = path.join(work, "sm4-ktls");
    const cc = spawnSync("cc", ["-O2", "-Wall", "-Wextra", "-Werror", "-o", tool, path.join(packageRoot, "test/kernel/sm4/sm4-ktls.c")], { encoding: "utf8" });
    if (cc.status !== 0) throw new Error(`cc sm4-ktls.c: ${cc.stdout}${cc.stderr}`);
    const requests = SM4_REQUESTS.map(hex).join(" ");
    const keys = () => [16, 4, 8, 8].map((n) => randomBytes(n).toString("hex")).join(" ");
    const image = await built;
    const lines = [WAIT_HELPERS, "ip link set lo up", `busybox insmod ${image.tlsKo} && echo tls-loaded`, "kscript deploy dist/router.kscript.json",
      // Before the SM4 modules: kTLS cannot make gcm(sm4), so the keys are refused.
      "echo '== without sm4'", `${tool} gcm 1.3 ${keys()} router ${requests}; echo "exit=$?"`,
      `busybox insmod ${image.sm4}/sm4.ko && busybox insmod ${image.sm4}/sm4_generic.ko && echo sm4-loaded`];
    for (const c of SM4_CASES) {
      const k = keys();
      lines.push(`echo '== ${c.mode} ${c.version} ${k}'`, `${tool} ${c.mode} ${c.version} ${k} router ${requests}; echo "exit=$?"`);
    }
    lines.push("echo '== end'", "grep -E '^driver.*sm4' /proc/crypto", "grep -E 'TlsCurr|TlsTxSw|TlsRxSw|TlsDecryptError' /proc/net/tls_stat",
      "kscript stats router", "kscript unload router", "busybox rmmod tls && echo tls-unloaded",
      "busybox rmmod sm4_generic && busybox rmmod sm4 && echo sm4-unloaded", "dmesg | grep -iE 'tls|sm4|kscript' | tail -20");
    return { cwd: site, script: lines.join("\n") + "\n" };
  },
};
