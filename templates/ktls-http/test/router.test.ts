import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadHook } from "kscript/testing";

const request = (target: string, extra = "") => `GET ${target} HTTP/1.1\r\nHost: example.org\r\n${extra}\r\n`;

describe("kTLS request router", async () => {
  // One hook per test file mirrors one connection: the router keeps a partial request between recvs.
  const connection = () => loadHook("src/router.ts");

  it("routes GET and HEAD of served files to 200 with the path to sendfile", async () => {
    const hook = await connection();
    expect(hook.runRecv(request("/hello.txt"))).toEqual({ code: 200, file: "/hello.txt" });
    expect(hook.runRecv(request("/"))).toEqual({ code: 200, file: "/index.html" });
    expect(hook.runRecv(request("/docs/guide.html?lang=en"))).toEqual({ code: 200, file: "/docs/guide.html" });
    expect(hook.runRecv(request("/docs%2Fguide.html"))).toEqual({ code: 200, file: "/docs/guide.html" });
    expect(hook.runRecv("HEAD /hello.txt HTTP/1.0\r\n\r\n")).toEqual({ code: 200, file: "/hello.txt" });
  });

  it("answers 404 for files outside the table and 405 for other methods", async () => {
    const hook = await connection();
    expect(hook.runRecv(request("/missing.txt")).code).toBe(404);
    expect(hook.runRecv(request("/docs")).code).toBe(404);
    expect(hook.runRecv("POST /hello.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n").code).toBe(405);
    expect(hook.runRecv("DELETE /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n").code).toBe(405);
  });

  it("rejects path traversal and hostile paths with 400", async () => {
    const hook = await connection();
    for (const target of ["/../etc/passwd", "/docs/../hello.txt", "/%2e%2e/etc/passwd", "/%2E%2e%2fetc", "/./hello.txt",
      "//hello.txt", "/docs/", "/hello.txt%00.html", "/a\\..\\b", "/%zz", "/%4", "/%"]) {
      expect(hook.runRecv(request(target)).code, target).toBe(400);
    }
  });

  it("answers junk, bad versions and missing Host with 400 or 505", async () => {
    const hook = await connection();
    for (const junk of ["\x16\x03\x01\x02\x00\r\n\r\n", "GET\r\n\r\n", "GET /hello.txt\r\n\r\n", "GET hello.txt HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /hello.txt HTTP/1.1\r\nHost : a\r\n\r\n", "GET /hello.txt HTTP/1.1\r\n folded: x\r\n\r\n", "GET /hello.txt HTTP/1.1\r\n\r\n",
      "GET  /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n"]) {
      expect(hook.runRecv(junk).code, JSON.stringify(junk)).toBe(400);
    }
    expect(hook.runRecv("GET /hello.txt HTTP/2.0\r\nHost: a\r\n\r\n").code).toBe(505);
  });

  it("waits for the end of the headers across recvs, then routes", async () => {
    const hook = await connection();
    const whole = request("/hello.txt", "User-Agent: curl/8\r\n");
    const cuts = [3, 9, 30, whole.length - 1];
    let last = 0;
    for (const cut of cuts) {
      expect(hook.runRecv(whole.slice(last, cut))).toEqual({ code: 100, file: undefined });
      last = cut;
    }
    expect(hook.runRecv(whole.slice(last))).toEqual({ code: 200, file: "/hello.txt" });
    // The connection is ready for the next request.
    expect(hook.runRecv(request("/index.html"))).toEqual({ code: 200, file: "/index.html" });
  });

  it("keeps pipelined requests for the following calls", async () => {
    const hook = await connection();
    expect(hook.runRecv(request("/hello.txt") + request("/index.html").slice(0, 10))).toEqual({ code: 200, file: "/hello.txt" });
    expect(hook.runRecv(request("/index.html").slice(10))).toEqual({ code: 200, file: "/index.html" });
  });

  // Four connections and some 20 KB through the hook's parser in the emulator: seconds on a busy machine.
  it("bounds what it buffers: over-long lines and header blocks fail fast", async () => {
    const hook = await connection();
    expect(hook.runRecv(`GET /${"a".repeat(3000)}`).code).toBe(414);
    const hook2 = await connection();
    const many = Array.from({ length: 65 }, (_, i) => `X-${i}: v\r\n`).join("");
    expect(hook2.runRecv(request("/hello.txt", many)).code).toBe(431);
    const hook3 = await connection();
    expect(hook3.runRecv(request("/hello.txt", `X-Big: ${" ".repeat(9000)}x\r\n`)).code).toBe(431);
    const hook4 = await connection();
    for (let i = 0; i < 9; i++) {
      const result = hook4.runRecv(`X-Slow-${i}: ${"v".repeat(1000)}\r\n`.replace(/^/, i === 0 ? "GET / HTTP/1.1\r\n" : ""));
      if (result.code !== 100) {
        expect(result.code).toBe(431);
        return;
      }
    }
    throw new Error("a header block over 8192 bytes was still buffered");
  }, 30_000);

  it("serves exactly the files under www/ (src/files.ts is up to date)", async () => {
    const www = path.resolve(import.meta.dirname, "../www");
    const walk = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    const hook = await connection();
    for (const file of walk(www)) {
      const target = "/" + path.relative(www, file).split(path.sep).join("/");
      expect(hook.runRecv(request(target))).toEqual({ code: 200, file: target });
    }
  });
});
