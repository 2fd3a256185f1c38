/**
 * A generated corpus of raw HTTP/1.x requests, valid and invalid in each way RFC 9112 §2–§7 cares about for
 * framing and smuggling: request line, field syntax, line endings, Content-Length, Transfer-Encoding, chunked
 * bodies (sizes, extensions, data, trailers), Expect: 100-continue, pipelining and persistent connections, and
 * size limits. Bytes are latin1 strings.
 */
import { replayableRandom } from "../helpers/random.js";

export interface Case {
  /** What the case varies, e.g. "content-length" (the table groups by it). */
  kind: string;
  bytes: string;
}

/** What a reference parser (llhttp, h11) made of one input. */
export interface ReferenceOutcome {
  /** Requests it parsed completely, in order: method, target and body length. */
  messages: { method: string; url: string; bodyLength: number }[];
  /** How the input ended: every byte parsed; a parse error; or EOF inside a request. */
  end: "ok" | "error" | "incomplete";
  /** The reference's own word for the error (llhttp's code, h11's message). */
  error?: string;
}

const request = (head: string, fields: string[], body = "") => `${head}\r\n${fields.map((f) => `${f}\r\n`).join("")}\r\n${body}`;
const get = (target = "/hello.txt", fields: string[] = ["Host: a"]) => request(`GET ${target} HTTP/1.1`, fields);
const post = (fields: string[], body: string) => request("POST /form HTTP/1.1", ["Host: a", ...fields], body);
const chunked = (body: string) => post(["Transfer-Encoding: chunked"], body);

export function corpus(): Case[] {
  const cases: Case[] = [];
  const add = (kind: string, ...inputs: string[]) => inputs.forEach((bytes) => cases.push({ kind, bytes }));

  add("valid",
    get(), get("/"), get("/index.html?lang=en&x=%20"), get("/docs/guide.html"), get("/missing.txt"),
    request("HEAD /hello.txt HTTP/1.1", ["Host: a"]), request("GET /hello.txt HTTP/1.0", []), request("HEAD /hello.txt HTTP/1.0", []),
    request("DELETE /x HTTP/1.1", ["Host: a"]), request("OPTIONS /x HTTP/1.1", ["Host: a"]), request("PUT /x HTTP/1.1", ["Host: a", "Content-Length: 2"], "hi"),
    get("/hello.txt", ["Host: a", "Accept: */*", "User-Agent: curl/8.0", "X-Empty:", "X-Blanks:  \t v \t "]),
    get("/hello.txt", ["host: A", "ACCEPT: x"]), post(["Content-Length: 0"], ""), post(["Content-Length: 11"], "hello=world"));

  for (const value of ["0", "5", "005", "00000000000000000005", "+5", "-5", "0x5", "5 5", "5,5", "5, 5", "", "5.0", "1e1", " 5", "5 ", "5\t",
    "18446744073709551621", "99999999999999999999", "4294967301", "2147483653", "\xd9\xa5", "five"]) {
    add("content-length", post([`Content-Length: ${value}`], "hello"));
  }
  add("content-length",
    post(["Content-Length: 5", "Content-Length: 5"], "hello"), post(["Content-Length: 5", "Content-Length: 6"], "hello!"),
    post(["Content-Length: 6", "Content-Length: 5"], "hello!"), post(["Content-Length: 5", "content-length: 5"], "hello"),
    get("/hello.txt", ["Host: a", "Content-Length: 5"]) + "hello", request("GET /hello.txt HTTP/1.0", ["Content-Length: 3"], "abc"),
    // The same length spelt twice differently: equal as numbers, not as text.
    post(["Content-Length: 5", "Content-Length: 005"], "hello"), post(["Content-Length: 005", "Content-Length: 5"], "hello"),
    post(["Content-Length: 05", "Content-Length: 05"], "hello"), post(["Content-Length: 5, 005"], "hello"), post(["Content-Length: 0, 0"], ""),
    post(["Content-Length: 5", "X: y", "Content-Length: 5"], "hello"), post(["Content-Length: 00"], ""));

  const body = "5\r\nhello\r\n0\r\n\r\n";
  for (const value of ["chunked", "Chunked", "CHUNKED", "gzip", "gzip, chunked", "chunked, gzip", "chunked, chunked", "identity", "identity, chunked",
    "chunked;q=1", "x-custom, chunked", "chunked,", ",chunked", "chunked\t", "chunk", "chunkedx", "\"chunked\"", "compress, gzip, chunked",
    "chunked, ", "chunked ,", "chunked,,", ", chunked", "chunked, ,", "chunked,\t", "gzip,,chunked", ", ,chunked", ",", "\t"]) {
    add("transfer-encoding", post([`Transfer-Encoding: ${value}`], body));
  }
  add("transfer-encoding",
    post(["Transfer-Encoding: chunked", "Transfer-Encoding: chunked"], body), post(["Transfer-Encoding: gzip", "Transfer-Encoding: chunked"], body),
    post(["Transfer-Encoding: chunked", "Content-Length: 5"], body), post(["Content-Length: 5", "Transfer-Encoding: chunked"], body),
    post(["Content-Length: 4", "Transfer-Encoding: chunked"], "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"),
    request("POST /form HTTP/1.0", ["Transfer-Encoding: chunked"], body), get("/hello.txt", ["Host: a", "Transfer-Encoding: chunked"]) + body,
    post(["Transfer-Encoding : chunked"], body), post(["Transfer-Encoding:chunked"], body), post(["Transfer-Encoding:  chunked  "], body));

  const ten = "0123456789";
  for (const size of ["a", "A", "0a", "000000000000000a", "-a", "+a", "0xa", " a", "a ", "a\t", "g", "", "ffffffffffffffffa", "fffffffffffffffffffffffa",
    "1a", "9", "a\n", "a\r"]) {
    add("chunk-size", chunked(`${size}\r\n${ten}\r\n0\r\n\r\n`));
  }
  for (const ext of [";x", ";x=y", ";x=\"y\"", ";x=\"y z\"", ";x;y=z", ";x=y;z", " ;x", "; x", ";x =y", ";x= y", ";", ";=y", ";x=\"y", ";x=y z",
    ";x=\"a\\\"b\"", ";x\x01", ";x=\x80", ";x=\"\t\"", "\t;x", ";x,y",
    `;x=${"y".repeat(200)}`, `;${"x".repeat(5000)}`, `;x=${"y".repeat(20000)}`, `;x="${"y ".repeat(10000)}"`, ";x".repeat(3000)]) {
    add("chunk-extension", chunked(`5${ext}\r\nhello\r\n0\r\n\r\n`));
  }
  add("chunk-data",
    chunked("5\r\nhello!\r\n0\r\n\r\n"), chunked("5\r\nhell\r\n0\r\n\r\n"), chunked("5\r\nhello0\r\n\r\n"), chunked("5\r\nhello\n0\r\n\r\n"),
    chunked("5\r\nhello\r0\r\n\r\n"), chunked("5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n"), chunked("5\nhello\r\n0\r\n\r\n"), chunked("0\r\n\r\n"),
    chunked("5\r\nhel\r\n\r\n0\r\n\r\n"), chunked("3\r\nabc\r\n2\r\nde\r\n1\r\nf\r\n0\r\n\r\n"));
  for (const trailer of ["", "T: v\r\n", "T: v\r\nU: w\r\n", "Bad T: v\r\n", "T : v\r\n", "T: v\n", "T: a\rb\r\n", " T: v\r\n", "T\r\n", ":v\r\n", "T: \x01\r\n",
    "Content-Length: 5\r\n", "Content-Length: 0\r\n", "Content-Length: x\r\n", "Transfer-Encoding: chunked\r\n", "Transfer-Encoding: gzip\r\n", "Host: b\r\n"]) {
    add("trailer", chunked(`5\r\nhello\r\n0\r\n${trailer}\r\n`));
  }
  add("trailer", chunked("5\r\nhello\r\n0;x=y\r\n\r\n"), chunked("5\r\nhello\r\n00\r\n\r\n"), chunked("5\r\nhello\r\n0\r\n\n"));

  add("line-ending",
    "GET /hello.txt HTTP/1.1\nHost: a\n\n", "GET /hello.txt HTTP/1.1\r\nHost: a\n\r\n", "GET /hello.txt HTTP/1.1\r\nHost: a\r\n\n",
    "GET /hello.txt HTTP/1.1\rHost: a\r\n\r\n", get("/hello.txt", ["Host: a", "X: a\rb"]), get("/hello.txt", ["Host: a", "X: a\nb"]),
    get("/hello.txt", ["Host: a", "X\r: a"]), get("/hello.txt", ["Host: a", "X: a\r"]), "GET /hello.txt HTTP/1.1\r\r\nHost: a\r\n\r\n",
    "GET /hello.txt HTTP/1.1\n\r\nHost: a\r\n\r\n", get("/hello.txt", ["Host: a\r"]));
  add("obs-fold", get("/hello.txt", ["Host: a", "X: a", " b"]), get("/hello.txt", ["Host: a", "X: a", "\tb"]), get("/hello.txt", [" Host: a"]),
    get("/hello.txt", ["Host: a", "X: a", " "]), get("/hello.txt", ["\tHost: a"]), get("/hello.txt", [" X: a", "Host: a"]), get("/hello.txt", [" ", "Host: a"]),
    get("/hello.txt", ["\t", "Host: a"]));
  add("field-name",
    ...["Host : a", "Host\t: a", "Ho st: a", "Host:a", ": a", "Host", "Host:"].map((f) => get("/hello.txt", [f, ...(f.startsWith("Host:") ? [] : ["Host: a"])])),
    ...[..."()<>@,;\\\"/[]?={}", "\x80", "\x00", "\x7f"].map((c) => get("/hello.txt", ["Host: a", `X${c}Y: v`])),
    // Unusual but valid tokens: every tchar, digits, a lone symbol.
    ...["!#$%&'*+-.^_`|~: v", "1: v", "-: v", "~: v", "X_Y: v", "x-Y-: v", `${"X".repeat(300)}: v`].map((f) => get("/hello.txt", ["Host: a", f])));
  for (const byte of [0x00, 0x01, 0x08, 0x09, 0x0b, 0x0c, 0x1f, 0x7f, 0x80, 0xa0, 0xff]) {
    add("field-value", get("/hello.txt", ["Host: a", `X: a${String.fromCharCode(byte)}b`]));
  }
  // Values of whitespace only, which is not part of a value.
  add("field-value", ...["X: ", "X:\t", "X: \t ", "X:  \t\t", "Accept:\t \t"].map((f) => get("/hello.txt", ["Host: a", f])),
    post(["Content-Length: 5", "X: \t"], "hello"), chunked(`5\r\nhello\r\n0\r\nT: \t\r\n\r\n`));
  // Every byte in the request target.
  for (let byte = 0; byte < 256; byte++) add(`target-byte`, get(`/a${String.fromCharCode(byte)}b`));
  add("target", get("*"), get("http://a/hello.txt"), get("hello.txt"), get(""), get("/%00"), get("/a#b"),
    // Absolute-form names the host itself: it need not match Host, which is still required in HTTP/1.1.
    get("http://b/hello.txt"), get("http://a:8080/hello.txt"), get("https://a/hello.txt"), get("http://a/hello.txt", []), get("http://u@b/hello.txt"),
    get("HTTP://A/hello.txt"), get("//b/hello.txt"), get("a:80"), request("GET http://b/hello.txt HTTP/1.0", []));

  for (const version of ["HTTP/1.2", "HTTP/2.0", "HTTP/0.9", "http/1.1", "HTTP/1", "HTTP/11", "HTTP/1.1 ", "HTTP/ 1.1", "HTTP/1.10", "HTTP/01.1", "HTTP/1.1\t"]) {
    add("version", request(`GET /hello.txt ${version}`, ["Host: a"]));
  }
  add("version", "GET /hello.txt\r\n\r\n");
  for (const line of ["get /hello.txt HTTP/1.1", "BREW /hello.txt HTTP/1.1", "G ET /hello.txt HTTP/1.1", "GET\t/hello.txt HTTP/1.1", " GET /hello.txt HTTP/1.1",
    "GET  /hello.txt HTTP/1.1", "GET /hello.txt  HTTP/1.1", "/hello.txt HTTP/1.1", "GET /hello.txt HTTP/1.1 x", "G\x80T /hello.txt HTTP/1.1", "M-SEARCH /x HTTP/1.1", "GET",
    "G\x00T /hello.txt HTTP/1.1", "\x00GET /hello.txt HTTP/1.1", "GET\x00 /hello.txt HTTP/1.1", "GET\x00/hello.txt HTTP/1.1", "GET /hello.txt HTTP/1.1\x00"]) {
    add("request-line", request(line, ["Host: a"]));
  }
  add("empty-lines", `\r\n${get()}`, `\n${get()}`, `\r\n\r\n${get()}`, `${get()}\r\n`, `${get()}\r\n${get()}`);
  add("host", get("/hello.txt", []), get("/hello.txt", ["Host: a", "Host: b"]), get("/hello.txt", ["Host:"]), get("/hello.txt", ["Host: a b"]),
    request("GET /hello.txt HTTP/1.0", ["Host: a", "Host: b"]), get("/hello.txt", ["Host: \t "]), get("/hello.txt", ["Host: a:80"]), get("/hello.txt", ["Host: [::1]:80"]));
  // A client that sent Expect: 100-continue may send the body at once, or only after the 100 (then it is incomplete here).
  add("expect", post(["Expect: 100-continue", "Content-Length: 5"], "hello"), post(["Expect: 100-continue", "Content-Length: 5"], ""),
    post(["Expect: 100-CONTINUE", "Transfer-Encoding: chunked"], body), get("/hello.txt", ["Host: a", "Expect: 100-continue"]),
    request("POST /form HTTP/1.0", ["Expect: 100-continue", "Content-Length: 5"], "hello"),
    post(["Expect: 100-continue", "Content-Length: 5"], "hello") + get("/index.html"), post(["Expect: 100-continue", "Content-Length: 5"], "hel"),
    // An unmet expectation on a method llhttp does not know: nothing after it is a request.
    request("OST /form HTTP/1.1", ["Host: a", "Expect: 1\t00-continue", "Content-Length: 3"], "abc") + get());

  // Pipelining: a valid request, then each kind of follower; and bodies that hold a request.
  const smuggled = get("/index.html");
  add("pipeline",
    get() + get("/index.html"), get() + get("/index.html") + get("/missing.txt"), get() + "BREW / HTTP/1.1\r\nHost: a\r\n\r\n",
    get() + get("/hello.txt", ["Host: a", "Content-Length: 1", "Content-Length: 2"]) + "ab", get() + "GET /x HTTX\r\n\r\n",
    get() + get("/a\x01b"), get() + post(["Content-Length: 5", "Transfer-Encoding: chunked"], body), get() + chunked("-5\r\nhello\r\n0\r\n\r\n"),
    get("/hello.txt", ["Host: a", `Content-Length: ${smuggled.length}`]) + smuggled,
    get("/hello.txt", ["Host: a", "Transfer-Encoding: chunked"]) + `${smuggled.length.toString(16)}\r\n${smuggled}\r\n0\r\n\r\n`,
    post(["Content-Length: 5"], "hello") + get("/index.html"), chunked(body) + get("/index.html"), chunked(body) + get("/index.html").slice(0, 20),
    post(["Content-Length: 5"], "hello" + get("/index.html")), post(["Content-Length: 2"], "hello") + get("/index.html"),
    chunked("5\r\nhello\r\n0\r\n\r\nGET /index.html HTTP/1.1\r\nHost: a\r\n\r\n"), get() + get().slice(0, 10), get().repeat(8));
  // HTTP/1.0 keeps the connection only when asked; HTTP/1.1 closes it when asked: what follows is not a request.
  const get10 = (fields: string[]) => request("GET /hello.txt HTTP/1.0", fields);
  add("pipeline",
    get10(["Connection: keep-alive"]).repeat(2), get10(["Connection: Keep-Alive"]) + get10([]), get10(["Connection: keep-alive"]).repeat(2) + get10([]),
    get10([]) + get10([]), get10([]) + get(), get10(["Connection: keep-alive"]) + get(), get10(["Connection: close"]) + get10([]),
    request("POST /form HTTP/1.0", ["Connection: keep-alive", "Content-Length: 5"], "hello") + get10(["Connection: keep-alive"]),
    get("/hello.txt", ["Host: a", "Connection: close"]) + get(), get("/hello.txt", ["Host: a", "Connection: keep-alive, close"]) + get(),
    get("/hello.txt", ["Host: a", "Connection: close"]) + "\r\n", get10([]) + "\r\n",
    // The Connection list's blanks: around its commas they are optional; inside a token, or a tab anywhere
    // (llhttp ends the field's tokens there), no keep-alive is read.
    get10(["Connection: keep-alive\t"]) + get(), get10(["Connection: \tkeep-alive"]) + get(), get10(["Connection: keep -alive"]) + get(),
    get10(["Connection: foo ,  keep-alive"]) + get(), get10(["Connection: foo,\tkeep-alive"]) + get(),
    get("/hello.txt", ["Host: a", "Connection: close\t"]) + get(), get("/hello.txt", ["Host: a", "Connection: keep-alive ,close"]) + get());

  add("limits",
    get(`/${"a".repeat(3000)}`), get(`/${"a".repeat(17000)}`), get("/hello.txt", ["Host: a", ...Array.from({ length: 70 }, (_, i) => `X-${i}: v`)]),
    get("/hello.txt", ["Host: a", `Cookie: ${"c".repeat(9000)}`]), post(["Content-Length: 9000"], "x".repeat(9000)),
    chunked("1\r\nx\r\n".repeat(70) + "0\r\n\r\n"), chunked(`2328\r\n${"x".repeat(9000)}\r\n0\r\n\r\n`),
    get("/hello.txt", ["Host: a", `X: ${" \t".repeat(3000)}x`]), `GET /${"%".repeat(2000)} HTTP/1.1\r\nHost: a\r\n\r\n`);
  add("incomplete", get().slice(0, 20), post(["Content-Length: 10"], "hello"), chunked("5\r\nhel"), chunked("5\r\nhello\r\n"), get("/hello.txt", ["Host: a"]).slice(0, -2));

  // Requests as clients send them with one byte changed, removed or added, or one line repeated: inputs
  // nobody wrote down. The bytes changed in are those framing turns on.
  const r = replayableRandom(9112);
  const bases = [
    get("/index.html", ["Host: example.org", "User-Agent: curl/8.0", "Accept: */*"]), post(["Content-Length: 11"], "hello=world"),
    chunked("5;x=y\r\nhello\r\n6\r\n world\r\n0\r\nT: v\r\n\r\n"), get() + get("/index.html", ["Host: a", "Connection: close"]),
    request("HEAD /hello.txt HTTP/1.0", ["Connection: keep-alive"]) + get(), post(["Content-Length: 3", "Expect: 100-continue"], "abc") + get(),
  ];
  const bytes = ["\r", "\n", " ", "\t", ":", ";", ",", "=", "\"", "0", "5", "a", "F", "-", "+", "\x00", "\x7f", "\x80", "/", "%"];
  for (let i = 0; i < 600; i++) {
    const base = bases[r(bases.length)];
    const at = r(base.length);
    const change = r(4);
    const b = bytes[r(bytes.length)];
    let bytesOut = base;
    if (change === 0) bytesOut = base.slice(0, at) + b + base.slice(at + 1);
    if (change === 1) bytesOut = base.slice(0, at) + base.slice(at + 1);
    if (change === 2) bytesOut = base.slice(0, at) + b + base.slice(at);
    if (change === 3) {
      const lines = base.split("\r\n");
      const n = 1 + r(lines.length - 2);
      lines.splice(n, 0, lines[n]);
      bytesOut = lines.join("\r\n");
    }
    add("random", bytesOut);
  }
  return cases;
}
