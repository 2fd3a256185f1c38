import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadHook } from "kscript/testing";

const request = (target: string, extra = "") => `GET ${target} HTTP/1.1\r\nHost: example.org\r\n${extra}\r\n`;

describe("kTLS request router", async () => {
  // The router keeps a partial request between recvs, so each connection needs a Lua state of its own, as
  // the kernel gives it: one build, one state per connection (the states are independent like CPUs' are).
  const states = await loadHook("src/router.ts", { cpus: 96 });
  let opened = 0;
  const connection = async () => {
    const cpu = opened++;
    return { runRecv: (msg: string) => states.runRecv(msg, { cpu }) };
  };

  it("routes GET of served files to 200 with the path to sendfile", async () => {
    const hook = await connection();
    expect(hook.runRecv(request("/hello.txt"))).toEqual({ code: 200, file: "/hello.txt" });
    expect(hook.runRecv(request("/"))).toEqual({ code: 200, file: "/index.html" });
    expect(hook.runRecv(request("/docs/guide.html?lang=en"))).toEqual({ code: 200, file: "/docs/guide.html" });
    expect(hook.runRecv(request("/docs%2Fguide.html"))).toEqual({ code: 200, file: "/docs/guide.html" });
  });

  it("answers HEAD with the status plus 1000, so the server sends headers only", async () => {
    const hook = await connection();
    expect(hook.runRecv("HEAD /hello.txt HTTP/1.0\r\n\r\n")).toEqual({ code: 1200, file: "/hello.txt" });
    expect(hook.runRecv("HEAD /missing.txt HTTP/1.1\r\nHost: a\r\n\r\n")).toEqual({ code: 1404, file: "" });
    expect(hook.runRecv("HEAD /../x HTTP/1.1\r\nHost: a\r\n\r\n").code).toBe(1400);
  });

  it("answers 404 for files outside the table, 405 for other known methods and 501 for unknown ones", async () => {
    const hook = await connection();
    expect(hook.runRecv(request("/missing.txt")).code).toBe(404);
    expect(hook.runRecv(request("/docs")).code).toBe(404);
    expect(hook.runRecv("POST /hello.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n").code).toBe(405);
    expect(hook.runRecv("DELETE /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n").code).toBe(405);
    for (const method of ["BREW", "get", "PROPFIND"]) expect(hook.runRecv(`${method} /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n`).code, method).toBe(501);
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
      expect(hook.runRecv(whole.slice(last, cut))).toEqual({ code: 100, file: "" });
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

  it("answers 417 to an expectation other than 100-continue, and reads on", async () => {
    const hook = await connection();
    expect(hook.runRecv(request("/hello.txt", "Expect: 100-continue\r\n"))).toEqual({ code: 200, file: "/hello.txt" });
    expect(hook.runRecv(request("/hello.txt", "Expect: 200-ok\r\n")).code).toBe(417);
    expect(hook.runRecv(`HEAD /hello.txt HTTP/1.1\r\nHost: a\r\nExpect: x\r\n\r\n`).code).toBe(1417);
    expect(hook.runRecv(`POST /form HTTP/1.1\r\nHost: a\r\nExpect: x\r\nContent-Length: 3\r\n\r\nabc${request("/hello.txt")}`).code).toBe(417);
    expect(hook.runRecv("")).toEqual({ code: 200, file: "/hello.txt" });
    // An unknown method closes the connection (501) whatever it expects: the bytes after it are not a request.
    const other = await connection();
    expect(other.runRecv(`OST /form HTTP/1.1\r\nHost: a\r\nExpect: x\r\nContent-Length: 3\r\n\r\nabc${request("/hello.txt")}`).code).toBe(501);
  });

  it("answers no request after one that closes the connection", async () => {
    for (const [first, answered] of [
      [request("/hello.txt", "Connection: close\r\n"), false],
      ["GET /hello.txt HTTP/1.0\r\n\r\n", false],
      ["GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true],
    ] as const) {
      const hook = await connection();
      expect(hook.runRecv(first + request("/index.html"))).toEqual({ code: 200, file: "/hello.txt" });
      expect(hook.runRecv(""), first).toEqual(answered ? { code: 200, file: "/index.html" } : { code: 100, file: "" });
    }
    // Nor after an answer the server closes the connection on (501 for an unknown method, 400, 505 …).
    for (const [closing, code] of [["BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n", 501], [request("/../etc/passwd"), 400], ["HEAD /../x HTTP/1.1\r\nHost: a\r\n\r\n", 1400]] as const) {
      const hook = await connection();
      expect(hook.runRecv(closing + request("/index.html")).code, closing).toBe(code);
      expect(hook.runRecv(""), closing).toEqual({ code: 100, file: "" });
    }
  });

  it("reads a body exactly as its framing says, never as a request", async () => {
    const hook = await connection();
    const smuggled = request("/index.html");
    expect(hook.runRecv(request("/hello.txt", `Content-Length: ${smuggled.length}\r\n`) + smuggled)).toEqual({ code: 200, file: "/hello.txt" });
    expect(hook.runRecv(request("/missing.txt")).code).toBe(404);
    const chunked = `${smuggled.length.toString(16)};note=x\r\n${smuggled}\r\n0\r\nX-Trailer: t\r\n\r\n`;
    expect(hook.runRecv(request("/hello.txt", "Transfer-Encoding: chunked\r\n") + chunked)).toEqual({ code: 200, file: "/hello.txt" });
    expect(hook.runRecv(request("/missing.txt")).code).toBe(404);
    // A refused method keeps the connection: its body is consumed all the same.
    expect(hook.runRecv(`POST /hello.txt HTTP/1.1\r\nHost: a\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`).code).toBe(405);
    expect(hook.runRecv(request("/missing.txt")).code).toBe(404);
  });

  it("waits for the whole body before answering", async () => {
    const hook = await connection();
    const whole = request("/hello.txt", "Transfer-Encoding: chunked\r\n") + "5\r\nhello\r\n0\r\n\r\n";
    const head = whole.indexOf("\r\n\r\n") + 4;
    for (const [from, to] of [[0, head], [head, head + 3], [head + 3, head + 9], [head + 9, whole.length - 1]]) {
      expect(hook.runRecv(whole.slice(from, to)).code, String(to)).toBe(100);
    }
    expect(hook.runRecv(whole.slice(-1))).toEqual({ code: 200, file: "/hello.txt" });
  });

  it("answers 400 to framing that could be read two ways, or not at all", async () => {
    const te = "Transfer-Encoding: chunked\r\n";
    for (const [extra, body] of [
      [`Content-Length: 5\r\n${te}`, "5\r\nhello\r\n0\r\n\r\n"],
      [`${te}Content-Length: 5\r\n`, "hello"],
      ...["+5", "-5", "0x5", "5 5", "5,5", "", "5.0", "1e1"].map((v) => [`Content-Length: ${v}\r\n`, "hello"]),
      ["Content-Length: 5\r\nContent-Length: 5\r\n", "hello"],
      ["Content-Length: 5\r\nContent-Length: 6\r\n", "hello!"],
      ...["gzip", "chunked, gzip", "gzip, chunked", "chunked, chunked", "identity", "chunked;q=1"].map((v) => [`Transfer-Encoding: ${v}\r\n`, "0\r\n\r\n"]),
      [te + te, "0\r\n\r\n"],
      ...["-5", "+5", "0x5", " 5", "5 ", "g", "5;", "5;a b", "5;a=\"x", "5\n", "5;a\nb"].map((size) => [te, `${size}\r\nhello\r\n0\r\n\r\n`]),
      [te, "5\r\nhello!\r\n0\r\n\r\n"],
      [te, "5\r\nhello0\r\n\r\n"],
      [te, "0\r\nBad Trailer: x\r\n\r\n"],
      // Trailer fields that would frame or route the request for a server merging them into the header.
      [te, "5\r\nhello\r\n0\r\nContent-Length: 5\r\n\r\n"],
      [te, "5\r\nhello\r\n0\r\nHost: b\r\n\r\n"],
    ]) {
      const hook = await connection();
      expect(hook.runRecv(request("/hello.txt", extra) + body).code, JSON.stringify(extra + body)).toBe(400);
    }
    const hook = await connection();
    expect(hook.runRecv(`GET /hello.txt HTTP/1.0\r\n${te}\r\n0\r\n\r\n`).code).toBe(400);
  });

  it("answers 400 to bare CR or LF, obs-fold, blanks before a colon and invisible bytes in the target", async () => {
    for (const junk of [
      request("/hello.txt", "X: a\rb\r\n"),
      request("/hello.txt", "X: a\nb\r\n"),
      "GET /hello.txt HTTP/1.1\nHost: a\n\n",
      request("/hello.txt", "X: a\r\n b\r\n"),
      request("/hello.txt", "X\t: a\r\n"),
      ...["/a\x80", "/a\x7f", "/a\tb", "/a\x00"].map((target) => request(target)),
    ]) {
      const hook = await connection();
      expect(hook.runRecv(junk).code, JSON.stringify(junk)).toBe(400);
    }
  });

  it("answers 413 to bodies over 8 KB or in more than 64 chunks", async () => {
    const te = "Transfer-Encoding: chunked\r\n";
    for (const [extra, body] of [
      ["Content-Length: 8193\r\n", ""],
      ["Content-Length: 99999999999999999999\r\n", ""],
      [te, "2001\r\n"],
      [te, "1000\r\n" + "x".repeat(4096) + "\r\n1001\r\n"],
      [te, "ffffffffffffffffffff1\r\n"],
      [te, "1\r\nx\r\n".repeat(64) + "0\r\n\r\n"],
    ]) {
      const hook = await connection();
      expect(hook.runRecv(request("/hello.txt", extra) + body).code, JSON.stringify(extra)).toBe(413);
    }
    const hook = await connection();
    expect(hook.runRecv(request("/hello.txt", "Content-Length: 0008192\r\n") + "x".repeat(8192)).code).toBe(200);
  });

  // Four connections and some 20 KB through the hook's parser in the emulator: seconds on a busy machine.
  it("bounds what it buffers: over-long lines and header blocks fail fast", async () => {
    const hook = await connection();
    expect(hook.runRecv(`GET /${"a".repeat(3000)}`).code).toBe(414);
    expect((await connection()).runRecv(request("/" + "a".repeat(17000))).code).toBe(414);
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
