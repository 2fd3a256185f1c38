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
const probe = (text: string) => runInLua53(lua, `exports.probe(${luaString(text)})`).output;
const safe = (target: string) => runInLua53(lua, `exports.path(${luaString(target)})`).output;

describe("kscript/http parseRequest", () => {
  it("parses the request line and headers, trimming blanks and lower-casing names", () => {
    expect(probe("GET /a?b=c HTTP/1.1\r\nHost:  example.org \t\r\nX-Empty:\r\nACCEPT: */*\r\n\r\nbody")).toBe(
      "GET /a?b=c 1.1 length=68 accept=[*/*] host=[example.org] x-empty=[]",
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
