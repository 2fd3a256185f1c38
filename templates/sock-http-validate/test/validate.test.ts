import { describe, expect, it } from "vitest";
import { loadHook } from "kscript/testing";

const get = (target: string, headers = "Host: example.org\r\n") => `GET ${target} HTTP/1.1\r\n${headers}\r\n`;

describe("socket HTTP validator", async () => {
  const hook = await loadHook("src/validate.ts");
  const accepts = (request: string) => hook.runProcess(request);

  it("accepts well-formed requests of the allowed methods", () => {
    expect(accepts(get("/"))).toBe(true);
    expect(accepts(get("/search?q=kscript&page=2", "Host: example.org\r\nAccept: */*\r\nUser-Agent: curl/8.0\r\n"))).toBe(true);
    expect(accepts("HEAD /index.html HTTP/1.0\r\n\r\n")).toBe(true);
    expect(accepts("POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello=world")).toBe(true);
    expect(accepts("PUT /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")).toBe(true);
    expect(accepts("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n")).toBe(false); // asterisk-form is not served here
  });

  it("refuses methods outside the allowlist", () => {
    for (const method of ["TRACE", "CONNECT", "PATCH", "PROPFIND", "get"]) {
      expect(accepts(`${method} / HTTP/1.1\r\nHost: a\r\n\r\n`), method).toBe(false);
    }
  });

  it("refuses broken request lines and header syntax", () => {
    for (const request of [
      "GET / HTTP/1.1\r\n\r\n", // HTTP/1.1 without Host
      "GET /\r\n\r\n",
      "GET / HTTP/1.1 extra\r\nHost: a\r\n\r\n",
      "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET / HTTP/3.0\r\nHost: a\r\n\r\n",
      "GET / HTTP/1.1\r\nHost a\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
      "GET / HTTP/1.1\r\nHo st: a\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\x00b\r\n\r\n",
      "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
      "GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n",
    ]) {
      expect(accepts(request), JSON.stringify(request)).toBe(false);
    }
  });

  it("refuses ambiguous or oversized bodies", () => {
    expect(accepts("POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n")).toBe(false);
    expect(accepts("POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999\r\n\r\n")).toBe(false);
    expect(accepts("POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n")).toBe(false);
    expect(accepts("POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 1e3\r\n\r\n")).toBe(false);
    expect(accepts("POST /f HTTP/1.1\r\nHost: a\r\n\r\n")).toBe(false);
    expect(accepts("POST /f HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n")).toBe(false);
  });

  it("refuses requests over the size limits", () => {
    expect(accepts(get("/" + "a".repeat(2100)))).toBe(false);
    expect(accepts(get("/", "Host: a\r\n" + Array.from({ length: 70 }, (_, i) => `X-${i}: v\r\n`).join("")))).toBe(false);
    expect(accepts(get("/", `Host: a\r\nCookie: ${"c".repeat(9000)}\r\n`))).toBe(false);
  });

  it("lets a well-formed prefix through and refuses a broken one as soon as it shows", () => {
    const request = get("/index.html", "Host: example.org\r\nAccept: text/html\r\n");
    for (let cut = 1; cut < request.length; cut++) expect(accepts(request.slice(0, cut)), String(cut)).toBe(true);
    expect(accepts("GET /in dex")).toBe(false);
    expect(accepts("GET / HTTP/1.1\r\nBad Header")).toBe(false);
    expect(accepts("G\x00")).toBe(false);
  });

  it("stays within the instruction budget on hostile input", () => {
    // Long runs of blanks and near-misses: linear work only, no error, no budget hit.
    expect(accepts(get("/", `Host: a\r\nX: ${" \t".repeat(3000)}x\r\n`))).toBe(true);
    expect(accepts("GET /" + "%".repeat(2000) + " HTTP/1.1\r\nHost: a\r\n\r\n")).toBe(true);
    expect(accepts(":".repeat(8000))).toBe(false);
  });
});
