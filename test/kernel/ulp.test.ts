/**
 * The socket ULP "lua" end to end in the VM: the sock-http-validate template, built by the real CLI, guards
 * kmod/servers/ulp-server. curl's valid requests are served with the right bytes, invalid ones are refused
 * before the server reads them: with the script deployed once and attached by name (ULP_ATTACH), and with
 * the seed's ULP_LOADSCRIPT + ULP_ENTRYPOINT. Skips like vm.test.ts when the VM cannot run here.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../common/paths.js";
import { VmUnavailable, prepareVm } from "../../vm/vm.js";
import { BAD_KERNEL_LOG, vmSession } from "./session.js";

const bin = path.join(packageRoot, "bin", "kscript.js");
const template = path.join(packageRoot, "templates", "sock-http-validate");
const required = process.env.KSCRIPT_REQUIRE_KERNEL === "1";
let skipReason: string | undefined;
let server = "";
let www = "";

beforeAll(() => {
  try {
    server = path.join(prepareVm().servers, "ulp-server");
  } catch (error) {
    if (!(error instanceof VmUnavailable)) throw error;
    if (required) throw new Error(`KSCRIPT_REQUIRE_KERNEL=1 but the kernel tests cannot run: ${error.message}`);
    skipReason = error.message;
    return;
  }
  const r = spawnSync(process.execPath, [bin, "build", template], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`building sock-http-validate: ${r.stdout}${r.stderr}`);
  // Under /tmp on the host: the guest sees the host's root, read-only.
  www = mkdtempSync("/tmp/kscript-ulp-www-");
  writeFileSync(path.join(www, "index.html"), "<h1>served behind the lua ULP</h1>\n".repeat(100));
}, 600_000);

/** curl's status line for a request: the HTTP code and curl's exit code. */
const get = (port: number, args: string) =>
  `curl -s -o /run/body -w 'code=%{http_code} ' ${args} http://127.0.0.1:${port}/index.html; echo "curl=$?"`;

describe("the socket ULP lua in the kernel VM", () => {
  it("serves valid requests and refuses invalid ones, attached by name and loaded by the seed's options", async ({ skip }) => {
    if (skipReason) skip(skipReason);
    const out = await vmSession(template, [
      "kscript deploy dist/validate.kscript.json",
      `${server} -p 8080 -r ${www} -a validate 2>/run/attach.log & P1=$!`,
      "sleep 1",
      get(8080, ""),
      `cmp /run/body ${www}/index.html && echo same-bytes`,
      `curl -s -o /dev/null -w 'code=%{http_code} ' http://127.0.0.1:8080/missing.html; echo "curl=$?"`,
      get(8080, "-X BREW"),
      get(8080, "-X POST"),
      // Twenty connections at once: each runs on a Lua state of its own.
      `pids=; for i in $(seq 20); do curl -s -o /dev/null -w '%{http_code}\\n' http://127.0.0.1:8080/index.html & pids="$pids $!"; done > /run/many; wait $pids; echo "ok=$(grep -c 200 /run/many)"`,
      "kscript stats validate",
      // The listener holds the script: unloading its name does not pull it from under the socket.
      "kscript unload validate",
      get(8080, ""),
      get(8080, "-X BREW"),
      "kill $P1; wait $P1",
      "grep -c refused /run/attach.log",
      `${server} -p 8081 -r ${www} -s dist/validate.lua -e process 2>/run/seed.log & P2=$!`,
      "sleep 1",
      get(8081, ""),
      get(8081, "-X BREW"),
      "kill $P2; wait $P2",
      // A script that fails to compile is refused at setsockopt; one whose entry errors lets traffic pass.
      "echo 'function process(b' > /run/broken.lua",
      `${server} -p 8082 -r ${www} -s /run/broken.lua; echo "exit=$?"`,
      "echo 'function process(b) error(\"boom\") end' > /run/boom.lua",
      `${server} -p 8083 -r ${www} -s /run/boom.lua 2>/dev/null & P3=$!`,
      "sleep 1",
      get(8083, "-X BREW"),
      "kill $P3; wait $P3",
      "dmesg | grep 'kscript: ulp:'",
      // A connection keeps its state while it lives: with pool_max 2, two open connections hold both, and a
      // third connection's call fails like a script error (counted; its request passes to the server).
      "kscript deploy dist/validate.kscript.json",
      "echo 2 > /sys/module/kscript/parameters/pool_max",
      `${server} -p 8084 -r ${www} -a validate 2>/dev/null & P4=$!`,
      "sleep 1",
      "(printf 'GET /index.html HTTP/1.1\\r\\n'; sleep 5) | busybox nc 127.0.0.1 8084 >/dev/null & H1=$!",
      "(printf 'GET /index.html HTTP/1.1\\r\\n'; sleep 5) | busybox nc 127.0.0.1 8084 >/dev/null & H2=$!",
      "sleep 1",
      get(8084, "-X BREW"),
      "kscript stats validate",
      "echo 256 > /sys/module/kscript/parameters/pool_max",
      "kill $P4 $H1 $H2; wait $P4 $H1 $H2",
      "kscript unload validate",
    ]);
    const sections = out.split("[status");
    expect(out).toMatch(/deployed 'validate' \(sock, \d+ bytes\)/);
    expect(sections.filter((s) => s.includes("code=200 curl=0")).length, out).toBe(3);
    expect(out).toContain("same-bytes");
    expect(out).toContain("code=404 curl=0");
    // Refused: the server's recv failed with ECONNREFUSED and it closed without a reply (an empty reply,
    // or a reset since the request was never read).
    expect(sections.filter((s) => /code=000 curl=(52|56)/.test(s)).length, out).toBe(4);
    expect(out).toContain("ok=20");
    expect(out).toMatch(/validate\s+(\d+)\s+0\s+0\s+0\s+(\d+)/);
    const [, calls, states] = /validate\s+(\d+)\s+0\s+0\s+0\s+(\d+)/.exec(out)!;
    expect(Number(calls)).toBeGreaterThanOrEqual(24); // one per request, at least
    expect(Number(states)).toBeGreaterThan(1);
    expect(out).toMatch(/unloaded 'validate'/);
    expect(out).toMatch(/\n3\n\[status 0\]/); // three refusals logged by the attached server
    expect(out).toMatch(/setsockopt ULP_LOADSCRIPT: Invalid argument\nexit=1/);
    expect(out).toMatch(/kscript: ulp: ulp:\d+: '\)' expected/);
    // The erroring script passes the request through to the server, which answers the method it lacks.
    expect(sections.filter((s) => s.includes("code=405 curl=0")).length, out).toBe(2);
    expect(out).toMatch(/validate\s+\d+\s+1\s+0\s+0\s+2\s+\d+\s+validate: all 2 Lua states are in use \(pool_max\)/);
    expect(out).not.toMatch(BAD_KERNEL_LOG);
  }, 400_000);
});
