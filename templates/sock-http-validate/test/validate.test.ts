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

  const post = (extra: string, body: string) => `POST /f HTTP/1.1\r\nHost: a\r\n${extra}\r\n${body}`;
  const te = "Transfer-Encoding: chunked\r\n";

  it("refuses ambiguous or oversized bodies", () => {
    expect(accepts(post(`Content-Length: 5\r\n${te}`, "5\r\nhello\r\n0\r\n\r\n"))).toBe(false);
    expect(accepts(post(`${te}Content-Length: 5\r\n`, "hello"))).toBe(false);
    expect(accepts(post("Content-Length: 1048577\r\n", ""))).toBe(false);
    expect(accepts(post("Content-Length: 99999999999999999999\r\n", ""))).toBe(false);
    expect(accepts(post("", ""))).toBe(false); // POST and PUT must say how long their body is
    expect(accepts(post("Content-Length: 1048576\r\n", "x"))).toBe(true); // the rest is still coming
  });

  it("refuses Content-Length that is not one plain decimal", () => {
    for (const value of ["-1", "+5", "0x5", "5 5", "5,5", "", "5.0", "1e3", "5\t", "\t5"]) {
      expect(accepts(post(`Content-Length: ${value}\r\n`, "hello")), value).toBe(false);
    }
    expect(accepts(post("Content-Length: 5\r\nContent-Length: 5\r\n", "hello"))).toBe(false);
    expect(accepts(post("Content-Length: 5\r\nContent-Length: 6\r\n", "hello!"))).toBe(false);
    expect(accepts(post("Content-Length: 005\r\n", "hello"))).toBe(true);
  });

  it("refuses codings other than one final chunked, and chunked in HTTP/1.0", () => {
    for (const value of ["gzip", "chunked, gzip", "gzip, chunked", "chunked, chunked", "identity", "chunked;q=1"]) {
      expect(accepts(post(`Transfer-Encoding: ${value}\r\n`, "0\r\n\r\n")), value).toBe(false);
    }
    expect(accepts(post(te + te, "0\r\n\r\n"))).toBe(false);
    expect(accepts(post("Transfer-Encoding: Chunked\r\n", "0\r\n\r\n"))).toBe(true);
    expect(accepts(`POST /f HTTP/1.0\r\n${te}\r\n0\r\n\r\n`)).toBe(false);
  });

  it("reads a chunked body chunk by chunk and refuses a malformed one", () => {
    expect(accepts(post(te, "5;a=b;c=\"d e\";f\r\nhello\r\n00\r\nX-Sum: 1\r\n\r\n"))).toBe(true);
    for (const body of [
      ...["-5", "+5", "0x5", " 5", "5 ", "g", "5;", "5;a b", "5 ;a", "5;a =b", "5;a=\"x", "5;a\nb", "5\n"].map((size) => `${size}\r\nhello\r\n0\r\n\r\n`),
      "5\r\nhello!\r\n0\r\n\r\n", // data longer than its size
      "5\r\nhello0\r\n\r\n", // no CRLF after the data
      "ffffffffffffffffffff1\r\nx\r\n0\r\n\r\n", // a size that would overflow
      "100001\r\n", // over 1 MiB
      "1\r\nx\r\n".repeat(128) + "0\r\n\r\n", // more than 128 chunks
      "0\r\nBad Trailer: x\r\n\r\n",
      "0\r\nX: a\nb\r\n\r\n",
      // Trailer fields that would frame or route the request for a server merging them into the header.
      "5\r\nhello\r\n0\r\nContent-Length: 5\r\n\r\n",
      "5\r\nhello\r\n0\r\nTransfer-Encoding: chunked\r\n\r\n",
      "5\r\nhello\r\n0\r\nHost: b\r\n\r\n",
    ]) {
      expect(accepts(post(te, body)), JSON.stringify(body)).toBe(false);
    }
    const body = "5\r\nhello\r\n0\r\n\r\n";
    for (let cut = 0; cut < body.length; cut++) expect(accepts(post(te, body.slice(0, cut))), String(cut)).toBe(true);
  });

  it("checks every request in a receive, each from where the last one's body ends", () => {
    const next = "GET /next HTTP/1.1\r\nHost: a\r\n\r\n";
    expect(accepts(post("Content-Length: 5\r\n", "hello") + next + get("/"))).toBe(true);
    expect(accepts(post(te, "5\r\nhello\r\n0\r\n\r\n") + next.slice(0, 20))).toBe(true);
    expect(accepts(post("Content-Length: 5\r\n", "hello") + "BREW / HTTP/1.1\r\nHost: a\r\n\r\n")).toBe(false);
    expect(accepts(post("Content-Length: 2\r\n", "hello") + next)).toBe(false); // "llo" + next is no request
    expect(accepts(get("/") + "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab")).toBe(false);
    expect(accepts(get("/") + "GET /x HTTX")).toBe(false);
    // The body is not a request: a refused method hidden in it changes nothing.
    const hidden = "TRACE / HTTP/1.1\r\nHost: a\r\n\r\n";
    expect(accepts(post(`Content-Length: ${hidden.length}\r\n`, hidden))).toBe(true);
    expect(accepts(get("/").repeat(16))).toBe(true);
    expect(accepts(get("/").repeat(17))).toBe(false); // more than 16 requests in one receive
  });

  it("refuses an expectation other than 100-continue, which the application cannot meet", () => {
    const expecting = (value: string) => accepts(post(`Content-Length: 5\r\nExpect: ${value}\r\n`, "hello"));
    expect(expecting("100-continue")).toBe(true);
    expect(expecting("100-Continue")).toBe(true);
    for (const value of ["100-continu", "200-ok", "100-continue, x", ""]) expect(expecting(value), value).toBe(false);
  });

  it("refuses bytes after a request that closes the connection", () => {
    const next = "GET /next HTTP/1.1\r\nHost: a\r\n\r\n";
    expect(accepts(get("/", "Host: a\r\nConnection: close\r\n"))).toBe(true);
    expect(accepts(get("/", "Host: a\r\nConnection: close\r\n") + next)).toBe(false);
    expect(accepts(get("/", "Host: a\r\nConnection: keep-alive\r\nConnection: close\r\n") + next)).toBe(false);
    expect(accepts("GET / HTTP/1.0\r\n\r\n" + next)).toBe(false); // HTTP/1.0 closes unless it asks to keep alive
    expect(accepts("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n" + next)).toBe(true);
  });

  it("refuses bare CR or LF, obs-fold, blanks before a colon and invisible bytes in the target", () => {
    for (const request of [
      get("/", "Host: a\r\nX: a\rb\r\n"),
      get("/", "Host: a\r\nX: a\nb\r\n"),
      "GET / HTTP/1.1\nHost: a\n\n",
      get("/", "Host: a\r\nX: a\r\n b\r\n"),
      get("/", "Host: a\r\nX\t: a\r\n"),
      get("/", "Host: a\r\nHost: b\r\n"),
      ...["/a\x80", "/a\x7f", "/a\tb", "/a\x00"].map((target) => get(target)),
    ]) {
      expect(accepts(request), JSON.stringify(request)).toBe(false);
    }
  });

  it("refuses requests over the size limits", () => {
    expect(accepts(get("/" + "a".repeat(2100)))).toBe(false);
    expect(accepts(`GET /${"a".repeat(2100)}`)).toBe(false);
    expect(accepts(get("/", "Host: a\r\n" + Array.from({ length: 70 }, (_, i) => `X-${i}: v\r\n`).join("")))).toBe(false);
    expect(accepts(get("/", `Host: a\r\nCookie: ${"c".repeat(9000)}\r\n`))).toBe(false);
  });

  it("lets a well-formed prefix through and refuses a broken one as soon as it shows", () => {
    const request = get("/index.html", "Host: example.org\r\nAccept: text/html\r\n");
    for (let cut = 1; cut < request.length; cut++) expect(accepts(request.slice(0, cut)), String(cut)).toBe(true);
    expect(accepts("GET /in dex")).toBe(false);
    expect(accepts("GET / HTTP/1.1\r\nBad Header")).toBe(false);
    expect(accepts("G\x00")).toBe(false);
    // An unknown method is refused from its first byte that no allowed method has.
    expect(accepts("BR")).toBe(false);
    expect(accepts("GETX")).toBe(false);
    expect(accepts(post("Content-Length: 0\r\n", "hello"))).toBe(false);
  });

  it("stays within the instruction budget on hostile input", () => {
    // Long runs of blanks and near-misses: linear work only, no error, no budget hit.
    expect(accepts(get("/", `Host: a\r\nX: ${" \t".repeat(3000)}x\r\n`))).toBe(true);
    expect(accepts("GET /" + "%".repeat(2000) + " HTTP/1.1\r\nHost: a\r\n\r\n")).toBe(true);
    expect(accepts(":".repeat(8000))).toBe(false);
    // The most work one receive can ask for: 16 requests of 127 one-byte chunks each.
    const tiny = post(te, "1;a=b\r\nx\r\n".repeat(127) + "0\r\n\r\n");
    expect(accepts(tiny.repeat(16))).toBe(true);
  });
});
