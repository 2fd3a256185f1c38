/**
 * HTTP/1.x request parsing for hooks, integer-only and bounded: the work is linear in the bytes looked at,
 * explicit limits cap those bytes, and nothing in a request is trusted. Built on Lua patterns
 * (`kscript/string`), which keeps the compiled code small for the 8 KB hook budgets.
 * @module
 */
import { char, find, gsub, lower, match, reverse, sub } from "kscript/string";

/** Size limits a request must respect; exceeding one is an error with its HTTP status. */
export interface HttpLimits {
  /** Longest request line in bytes (414 beyond). */
  maxRequestLine: number;
  /** Longest header block in bytes, request line and final empty line included; also the trailer section's (431 beyond). */
  maxHeaderBytes: number;
  /** Most header fields; also trailer fields (431 beyond). */
  maxHeaders: number;
  /** Largest body in bytes, chunk framing not counted (413 beyond). At most 9999999, so lengths stay small integers. */
  maxBody: number;
  /** Most chunks in a chunked body, the last one included (413 beyond): bounds the work a body of tiny chunks costs. */
  maxChunks: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = { maxRequestLine: 2048, maxHeaderBytes: 8192, maxHeaders: 64, maxBody: 8192, maxChunks: 64 };

export interface HttpRequest {
  method: string;
  /** The request-target exactly as sent (origin form: starts with "/", visible ASCII only). */
  target: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor: number;
  /**
   * Header values by lower-case field name, leading and trailing blanks removed; a field sent on several
   * lines has their values joined with ", ", as RFC 9110 §5.3 reads them.
   */
  headers: Record<string, string>;
  /** Bytes of the body, chunk framing not counted. */
  bodyLength: number;
  /** Bytes of the whole message: header block and body as framed. The next request starts right after. */
  length: number;
  /**
   * Whether the connection ends after this request (RFC 9112 §9.3): HTTP/1.1 with `close` in Connection,
   * HTTP/1.0 without `keep-alive`. Bytes after such a request are not a request.
   */
  close: boolean;
}

/**
 * What `parseRequest` found: a complete, well-formed request (header block and body); a prefix that is
 * well-formed so far and needs more bytes; or an error with the HTTP status to answer (400, 413, 414, 431,
 * 505).
 */
export type HttpParse =
  | { kind: "request"; request: HttpRequest }
  | { kind: "incomplete" }
  | { kind: "error"; status: number; reason: string };

const fail = (status: number, reason: string): HttpParse => ({ kind: "error", status, reason });
const INCOMPLETE: HttpParse = { kind: "incomplete" };

/** RFC 9110 token characters, as the body of a Lua pattern class. */
const TOKEN = "%w!#$%%&'*+%-.^_`|~";

/** Bytes a field value may not hold: controls other than horizontal tab (RFC 9110 5.5), bare CR and LF included. */
const CONTROL_EXCEPT_TAB = "[\0-\x08\x0a-\x1f\x7f]";

/** Prefixes of a request line that can still become valid, up to the start of the version. */
const REQUEST_LINE_PREFIXES = [`^[${TOKEN}]*$`, `^[${TOKEN}]+ $`, `^[${TOKEN}]+ /[!-~]*$`];

/** Whether a request line without its CRLF yet can still become a valid one. */
function requestLinePrefixOk(partial: string): boolean {
  if (matchesAny(partial, REQUEST_LINE_PREFIXES)) return true;
  const [version] = match(partial, `^[${TOKEN}]+ /[!-~]* (%S*)$`);
  if (version === undefined) return false;
  const known = sub("HTTP/1.1", 1, version.length);
  return version === known || version === sub("HTTP/1.0", 1, version.length);
}

/** Prefixes of a field line that can still become valid. */
const FIELD_PREFIXES = [`^[${TOKEN}]*$`, `^[${TOKEN}]+:[^%c]*$`, `^[${TOKEN}]+:[^%c]*\r$`, "^\r$"];

/** Fields that may appear once: a second one is how a request gets two readings (RFC 9112 §3.2, §6.3). */
const SINGLE: Record<string, boolean> = { host: true, "content-length": true, "transfer-encoding": true };

/** Longest chunk-size line, extensions included; longer ones are refused (RFC 9112 sets no limit). */
const MAX_CHUNK_LINE = 256;

function matchesAny(text: string, patterns: readonly string[]): boolean {
  for (const pattern of patterns) {
    const [found] = match(text, pattern);
    if (found !== undefined) return true;
  }
  return false;
}

/**
 * Parses the request at the start of `text`: request line, header fields, and the body as RFC 9112 §6.3
 * frames it. One reading only: a body is chunked (`Transfer-Encoding: chunked`, alone, HTTP/1.1) or has one
 * decimal `Content-Length`, or is empty; anything that could be read two ways is an error. A prefix that is
 * valid so far gives "incomplete" only while it stays within the limits, so waiting for more bytes cannot
 * be abused to hold unbounded data.
 */
export function parseRequest(text: string, limits: HttpLimits = DEFAULT_HTTP_LIMITS): HttpParse {
  const [lineEnd] = find(text, "\r\n", 1, true);
  if (lineEnd === undefined) {
    const partial = sub(text, -1) === "\r" ? sub(text, 1, -2) : text;
    if (!requestLinePrefixOk(partial)) return fail(400, "malformed request line");
    return partial.length > limits.maxRequestLine ? fail(414, "request line too long") : INCOMPLETE;
  }
  if (lineEnd - 1 > limits.maxRequestLine) return fail(414, "request line too long");

  const [method, target, version] = match(sub(text, 1, lineEnd - 1), `^([${TOKEN}]+) (/[!-~]*) (%S+)$`);
  if (method === undefined || target === undefined || version === undefined) return fail(400, "malformed request line");
  const [minor] = match(version, "^HTTP/1%.([01])$");
  if (minor === undefined) {
    const [otherVersion] = match(version, "^HTTP/%d%.%d$");
    return otherVersion !== undefined ? fail(505, "unsupported HTTP version") : fail(400, "malformed HTTP version");
  }

  const headers: Record<string, string> = {};
  const tabbed: Record<string, boolean> = {};
  const bodyStart = readFields(text, 1, lineEnd + 2, limits, headers, tabbed);
  if (typeof bodyStart !== "number") return bodyStart;
  if (minor === "1" && headers["host"] === undefined) return fail(400, "HTTP/1.1 request without Host");

  const coding = headers["transfer-encoding"];
  const declared = headers["content-length"];
  let bodyLength = 0;
  let end = bodyStart;
  if (coding !== undefined) {
    // Chunked must be the final coding (RFC 9112 §6.3); other codings are refused here, so it is the only one.
    if (declared !== undefined || minor === "0" || lower(coding) !== "chunked") return fail(400, "ambiguous or unsupported body framing");
    const [chunkedEnd, size] = readChunked(text, bodyStart, limits);
    if (typeof chunkedEnd !== "number") return chunkedEnd;
    bodyLength = size;
    end = chunkedEnd;
  } else if (declared !== undefined) {
    const length = decimal(declared, limits.maxBody);
    if (typeof length !== "number") return length;
    bodyLength = length;
    end = bodyStart + length;
    if (end > text.length + 1) return INCOMPLETE;
  }
  // Connection is a list of tokens (RFC 9110 §7.6.1), each between commas with optional blanks around it.
  const connection = `,${gsub(lower(headers["connection"] ?? ""), "[ \t]*,[ \t]*", ",")[0]},`;
  const close =
    minor === "1"
      ? find(connection, ",close,", 1, true)[0] !== undefined
      : // HTTP/1.0 stays open only for a keep-alive llhttp reads as one too: to it, a tab ends the field's tokens.
        find(connection, ",keep-alive,", 1, true)[0] === undefined || tabbed["connection"] === true;
  return { kind: "request", request: { method, target, minor: minor === "1" ? 1 : 0, headers, bodyLength, length: end - 1, close } };
}

/** A Content-Length value: digits only (no sign, blank or list), at most `max`; else the error. */
function decimal(value: string, max: number): number | HttpParse {
  if (find(value, "^%d+$")[0] === undefined) return fail(400, "malformed Content-Length");
  // Leading zeros are allowed; past them, more than 7 digits exceeds any limit (and stays below 2^31).
  const [first] = find(value, "[^0]");
  const digits = first === undefined ? "0" : sub(value, first);
  const n = digits.length <= 7 ? parseInt(digits, 10) : max + 1;
  return n > max ? fail(413, "body too large") : n;
}

/**
 * Field lines from `position` to the empty line that ends them (RFC 9112 §5.1): the position just past that
 * line, or what stops them. `blockStart` is where the size limit starts counting. Field names are tokens
 * right before the colon (no whitespace, no obs-fold); values hold no control bytes but tab. `tabbed` gets the
 * names of the fields whose value held a tab.
 */
function readFields(text: string, blockStart: number, position: number, limits: HttpLimits, fields: Record<string, string>, tabbed: Record<string, boolean>): number | HttpParse {
  for (let count = 0; ; count++) {
    const [next] = find(text, "\r\n", position, true);
    if ((next === undefined ? text.length : next + 1) - blockStart >= limits.maxHeaderBytes) return fail(431, "header block too large");
    if (next === undefined) return matchesAny(sub(text, position), FIELD_PREFIXES) ? INCOMPLETE : fail(400, "malformed header field");
    if (next === position) return next + 2; // the empty line that ends the block
    if (count >= limits.maxHeaders) return fail(431, "too many header fields");
    const [name, raw] = match(sub(text, position, next - 1), `^([${TOKEN}]+):(.*)$`);
    if (name === undefined || raw === undefined || find(raw, CONTROL_EXCEPT_TAB)[0] !== undefined) return fail(400, "malformed header field");
    const key = lower(name);
    if (find(raw, "\t", 1, true)[0] !== undefined) tabbed[key] = true;
    // A tab is optional whitespace to RFC 9110 but an error to llhttp in the framing fields: refuse it there.
    if (SINGLE[key] === true && (fields[key] !== undefined || (key !== "host" && tabbed[key] === true))) return fail(400, `repeated or odd ${key}`);
    const value = trimBlanks(raw);
    fields[key] = fields[key] === undefined ? value : `${fields[key]}, ${value}`;
    position = next + 2;
  }
}

/**
 * The chunked body at `position` (RFC 9112 §7.1), chunk by chunk: a hex size (no sign, prefix or blank),
 * extensions `;name` or `;name=value` (a token, or a quoted string without escapes), CRLF, the data, CRLF;
 * after the zero-size chunk, trailer fields and an empty line. Gives the position just past the body and
 * the data's length, or what stops it.
 */
function readChunked(text: string, position: number, limits: HttpLimits): LuaMultiReturn<[number | HttpParse, number]> {
  let size = 0;
  for (let chunk = 0; chunk < limits.maxChunks; chunk++) {
    const [lineEnd] = find(text, "\r\n", position, true);
    if ((lineEnd === undefined ? text.length + 1 : lineEnd) - position > MAX_CHUNK_LINE) return $multi(fail(400, "chunk line too long"), 0);
    if (lineEnd === undefined) {
      // Extensions are checked once the line is whole; until then, no byte that can never belong to it.
      const partial = sub(text, position);
      return $multi(partial === "" || find(partial, "^%x+[^%c]*\r?$")[0] !== undefined ? INCOMPLETE : fail(400, "malformed chunk size"), 0);
    }
    const line = sub(text, position, lineEnd - 1);
    const [, digitsEnd] = find(line, "^%x+");
    if (digitsEnd === undefined || !extensionsOk(line, digitsEnd + 1)) return $multi(fail(400, "malformed chunk size"), 0);
    const [first] = find(line, "[^0]");
    const significant = first === undefined || first > digitsEnd ? 0 : digitsEnd - first + 1;
    const n = significant <= 7 ? parseInt(sub(line, 1, digitsEnd), 16) : limits.maxBody + 1;
    size += n;
    if (size > limits.maxBody) return $multi(fail(413, "body too large"), 0);
    position = lineEnd + 2;
    if (n === 0) {
      // Trailer fields (RFC 9110 §6.5): none that frames or routes the request, which a reader merging the
      // trailer into the header section would take as this request's.
      const trailer: Record<string, string> = {};
      const end = readFields(text, position, position, limits, trailer, {});
      return $multi(typeof end === "number" && (trailer["content-length"] ?? trailer["transfer-encoding"] ?? trailer["host"]) !== undefined ? fail(400, "framing field in the trailer") : end, size);
    }
    const dataEnd = position + n;
    const crlf = sub(text, dataEnd, dataEnd + 1);
    if (crlf !== sub("\r\n", 1, crlf.length)) return $multi(fail(400, "chunk data without CRLF"), 0);
    if (crlf.length < 2) return $multi(INCOMPLETE, 0);
    position = dataEnd + 2;
  }
  return $multi(fail(413, "too many chunks"), 0);
}

/**
 * Whether `line` from `position` on is chunk extensions only. No blanks around `;` and `=`: RFC 9112 §7.1.1
 * allows them (BWS), but strict parsers such as llhttp refuse them, and two parsers must not disagree.
 */
function extensionsOk(line: string, position: number): boolean {
  while (position <= line.length) {
    const [, nameEnd] = find(line, `^;[${TOKEN}]+`, position);
    if (nameEnd === undefined) return false;
    const [, valueEnd] = find(line, `^=[${TOKEN}]+`, nameEnd + 1);
    const [, quotedEnd] = find(line, `^="[^"\\%c]*"`, nameEnd + 1);
    position = (valueEnd ?? quotedEnd ?? nameEnd) + 1;
  }
  return true;
}

/**
 * `value` without leading and trailing spaces and tabs. Two scans instead of a `^%s*(.-)%s*$` pattern, whose
 * backtracking is quadratic on a long run of blanks: pattern matching runs in C, outside the instruction
 * budget, so every pattern a hook applies to untrusted bytes must be linear.
 */
function trimBlanks(value: string): string {
  const [first] = find(value, "[^ \t]");
  if (first === undefined) return "";
  const [lastFromEnd] = find(reverse(value), "[^ \t]");
  return sub(value, first, value.length - (lastFromEnd ?? 1) + 1);
}

/**
 * Whether the request asks for an expectation a server cannot meet (RFC 9110 §10.1.1): an `Expect` field
 * other than `100-continue`. Such a request gets 417 (Expectation Failed), as Node's and Apache's servers
 * answer it, rather than being served as if the expectation were met.
 */
export function unmetExpectation(request: HttpRequest): boolean {
  const expect = request.headers["expect"];
  return expect !== undefined && lower(expect) !== "100-continue";
}

/**
 * The file path a request-target names, percent-decoded and checked, or undefined when it could escape the
 * served root or is not a plain path: `.` or `..` segments (encoded or not), empty segments, backslashes,
 * NUL and other control bytes, malformed escapes. The query is dropped; "/" names "/index.html".
 */
export function safePath(target: string): string | undefined {
  const [path] = match(target, "^([^?#]*)");
  const decoded = path === undefined ? undefined : decodePercent(path);
  if (decoded === undefined) return undefined;
  if (decoded === "/") return "/index.html";
  if (sub(decoded, 1, 1) !== "/" || find(decoded, "[%c\\]")[0] !== undefined) return undefined;
  if (find(decoded, "//", 1, true)[0] !== undefined || sub(decoded, -1) === "/") return undefined;
  // A "." or ".." segment: the path starts with "/" and, with one more at its end, every segment is between two.
  if (find(`${decoded}/`, "/%.%.?/")[0] !== undefined) return undefined;
  return decoded;
}

/** `%XX` escapes decoded to bytes; undefined when a `%` is not followed by two hex digits. */
function decodePercent(path: string): string | undefined {
  // Most paths have no escape: no byte-by-byte copy for them (the router runs this on every request).
  if (find(path, "%", 1, true)[0] === undefined) return path;
  let decoded = "";
  let i = 1;
  while (i <= path.length) {
    const c = sub(path, i, i);
    if (c === "%") {
      const [hex] = match(sub(path, i + 1, i + 2), "^%x%x$");
      if (hex === undefined) return undefined;
      decoded += char(parseInt(hex, 16));
      i += 3;
    } else {
      decoded += c;
      i++;
    }
  }
  return decoded;
}
