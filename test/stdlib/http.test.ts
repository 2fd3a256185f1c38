/** kscript/http under the real lua5.3, through a module that calls it: what a hook's parser sees. */
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildEntry } from "../../compiler/build.js";
import { runInLua53 } from "../helpers/lua53.js";

let lua = "";
beforeAll(async () => {
  const built = await buildEntry(path.join(import.meta.dirname, "../fixtures/stdlib/http-probe.ts"));
  expect(built.diagnostics).toEqual([]);
  lua = built.package!.lua;
});

const luaString = (s: string) => `"${[...Buffer.from(s, "latin1")].map((b) => `\\${b}`).join("")}"`;
const probe = (text: string, maxBody?: number) => runInLua53(lua, `exports.probe(${luaString(text)}${maxBody === undefined ? "" : `, ${maxBody}`})`).output;
const safe = (target: string) => runInLua53(lua, `exports.path(${luaString(target)})`).output;

describe("kscript/http parseRequest", () => {
  it("parses the request line and headers, trimming blanks and lower-casing names", () => {
    expect(probe("GET /a?b=c HTTP/1.1\r\nHost:  example.org \t\r\nX-Empty:\r\nACCEPT: */*\r\n\r\nbody")).toBe(
      "GET /a?b=c 1.1 length=68 body=0 accept=[*/*] host=[example.org] x-empty=[]",
    );
  });

  it("tells incomplete prefixes from errors", () => {
    expect(probe("GE")).toBe("incomplete");
    expect(probe("GET /x HTTP/1.")).toBe("incomplete");
    expect(probe("GET /x HTTX")).toBe("error 400 malformed request line");
    expect(probe("GET /x HTTP/1.1\r\nHost: a\r\n")).toBe("incomplete");
    expect(probe("GET /x HTTP/1.1\r\nHost: a\r\nBad Name")).toBe("error 400 malformed header field");
  });

  it("maps limits to their statuses", () => {
    expect(probe(`GET /${"x".repeat(2048)} HTTP/1.1\r\n`)).toBe("error 414 request line too long");
    expect(probe(`GET / HTTP/1.1\r\nHost: a\r\nX: ${"y".repeat(8200)}`)).toBe("error 431 header block too large");
    expect(probe("GET / HTTP/1.9\r\nHost: a\r\n\r\n")).toBe("error 505 unsupported HTTP version");
    // The request line's limit first: a long target is 414 even when it also overflows the header block.
    expect(probe(`GET /${"x".repeat(17000)} HTTP/1.1\r\nHost: a\r\n\r\n`)).toBe("error 414 request line too long");
    expect(probe(`GET /${"x".repeat(17000)}`)).toBe("error 414 request line too long");
    expect(probe("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 8193\r\n\r\n")).toBe("error 413 body too large");
  });

  it("frames the body: Content-Length, chunked with extensions and trailers, or none", () => {
    expect(probe("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET")).toBe(
      "POST / 1.1 length=50 body=3 content-length=[3] host=[a]",
    );
    expect(probe("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;x=\"y\"\r\nabc\r\nA\r\n0123456789\r\n0\r\nT: 1\r\n\r\nnext")).toBe(
      "POST / 1.1 length=96 body=13 host=[a] transfer-encoding=[chunked]",
    );
    expect(probe("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nab")).toBe("incomplete");
    expect(probe("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r")).toBe("incomplete");
    expect(probe("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd")).toBe("error 400 chunk data without CRLF");
    expect(probe("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")).toBe(
      "error 400 ambiguous or unsupported body framing",
    );
    expect(probe("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\ncontent-length: 1\r\n\r\nx")).toBe("error 400 repeated or odd content-length");
    expect(probe(`POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n${"x".repeat(100000)}`, 100000)).toMatch(/^POST \/ 1\.1 length=100052 body=100000 /);
    expect(probe("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100001\r\n\r\n", 100000)).toBe("error 413 body too large");
  });

  it("refuses trailer fields that frame or route the request", () => {
    const chunked = (trailer: string) => probe(`POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n${trailer}\r\n`);
    expect(chunked("Expires: 0\r\n")).toBe("POST / 1.1 length=81 body=3 host=[a] transfer-encoding=[chunked]");
    for (const field of ["Content-Length: 3", "content-length: 0", "Transfer-Encoding: chunked", "Host: b"]) {
      expect(chunked(`${field}\r\n`)).toBe("error 400 framing field in the trailer");
    }
  });

  it("joins a field sent on several lines, and says when the connection closes after the request", () => {
    expect(probe("GET / HTTP/1.1\r\nHost: a\r\nAccept: a\r\nAccept: b, c\r\n\r\n")).toBe("GET / 1.1 length=52 body=0 accept=[a, b, c] host=[a]");
    const close = (version: string, connection: string[]) => /\d close /.test(probe(`GET / ${version}\r\nHost: a\r\n${connection.map((c) => `Connection: ${c}\r\n`).join("")}\r\n`));
    expect([[], ["keep-alive"], ["Upgrade"], ["closed"]].map((c) => close("HTTP/1.1", c))).toEqual([false, false, false, false]);
    expect([["close"], ["Close"], ["keep-alive, close"], ["keep-alive", " close "], ["x,CLOSE\t"]].map((c) => close("HTTP/1.1", c))).toEqual([true, true, true, true, true]);
    expect([[], ["close"], ["keep-alives"]].map((c) => close("HTTP/1.0", c))).toEqual([true, true, true]);
    expect([["keep-alive"], ["Keep-Alive"], ["te, keep-alive"]].map((c) => close("HTTP/1.0", c))).toEqual([false, false, false]);
  });
});

describe("kscript/http safePath", () => {
  it("decodes escapes and refuses anything that could leave the root", () => {
    expect(safe("/")).toBe("/index.html");
    expect(safe("/a%20b.txt?x=1")).toBe("/a b.txt");
    for (const hostile of ["/..", "/a/../b", "/%2e%2E/x", "/a/./b", "//a", "/a/", "/a%00", "/a%5c..%5cb", "/%G1", "/%1", "a"]) {
      expect(safe(hostile), hostile).toBe("(rejected)");
    }
  });
});
