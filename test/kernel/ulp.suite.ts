/**
 * The socket ULP "lua" end to end: the sock-http-validate template, made by `kscript init` and built by the
 * real CLI, guards kmod/servers/ulp-server. curl's valid requests are served with the right bytes, invalid
 * ones are refused before the server reads them: with the script deployed once and attached by name
 * (ULP_ATTACH), and with ulp-lua's ULP_LOADSCRIPT + ULP_ENTRYPOINT.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { commandScript, type Suite } from "./session.js";

/** curl's status line for a request: the HTTP code and curl's exit code. */
const get = (port: number, args: string) =>
  `curl -s -o /run/body -w 'code=%{http_code} ' ${args} http://127.0.0.1:${port}/index.html; echo "curl=$?"`;

export const ulpSuite: Suite = {
  name: "ulp",
  lane: "a",
  async prepare({ image, work, kscript }) {
    const project = path.join(work, "project");
    await kscript(["init", "sock-http-validate", project]);
    await kscript(["build", project]);
    const server = path.join((await image).servers, "ulp-server");
    const www = path.join(work, "www");
    mkdirSync(www);
    writeFileSync(path.join(www, "index.html"), "<h1>served behind the lua ULP</h1>\n".repeat(100));
    return {
      cwd: project,
      script: commandScript([
        "kscript deploy dist/validate.kscript.json",
        `${server} -p 8080 -r ${www} -a validate 2>/run/attach.log & P1=$!`,
        "listening 8080 $P1",
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
        `${server} -p 8081 -r ${www} -s dist/validate.lua -e process 2>/run/loadscript.log & P2=$!`,
        "listening 8081 $P2",
        get(8081, ""),
        get(8081, "-X BREW"),
        "kill $P2; wait $P2",
        // A script that fails to compile is refused at setsockopt; one whose entry errors lets traffic pass.
        "echo 'function process(b' > /run/broken.lua",
        `${server} -p 8082 -r ${www} -s /run/broken.lua; echo "exit=$?"`,
        "echo 'function process(b) error(\"boom\") end' > /run/boom.lua",
        `${server} -p 8083 -r ${www} -s /run/boom.lua 2>/dev/null & P3=$!`,
        "listening 8083 $P3",
        get(8083, "-X BREW"),
        "kill $P3; wait $P3",
        "dmesg | grep 'kscript: ulp:'",
        // A connection keeps its state while it lives: with pool_max 2, two open connections hold both, and a
        // third connection's call fails like a script error (counted; its request passes to the server).
        "kscript deploy dist/validate.kscript.json",
        "echo 2 > /sys/module/kscript/parameters/pool_max",
        `${server} -p 8084 -r ${www} -a validate 2>/dev/null & P4=$!`,
        "listening 8084 $P4",
        // The two connections stay open (their request unfinished) until killed below, however slow the machine.
        "(printf 'GET /index.html HTTP/1.1\\r\\n'; sleep 600) | busybox nc 127.0.0.1 8084 >/dev/null & H1=$!",
        "(printf 'GET /index.html HTTP/1.1\\r\\n'; sleep 600) | busybox nc 127.0.0.1 8084 >/dev/null & H2=$!",
        "connected 8084 2",
        "sleep 1",
        get(8084, "-X BREW"),
        "kscript stats validate",
        "echo 256 > /sys/module/kscript/parameters/pool_max",
        // The held connections end with the server (their shells sleep on until the suite ends).
        "kill $P4 $H1 $H2; wait $P4",
        "kscript unload validate",
      ]),
    };
  },
};
