/**
 * HTTP/1.x request parsing for hooks, integer-only and bounded: the work is linear in the bytes looked at,
 * explicit limits cap those bytes, and nothing in a request is trusted. Built on Lua patterns
 * (`kscript/string`), which keeps the compiled code small for the 8 KB hook budgets.
 * @module
 */
import { char, find, lower, match, reverse, sub } from "kscript/string";

/** Size limits a request must respect; exceeding one is an error with its HTTP status. */
export interface HttpLimits {
  /** Longest request line in bytes (414 beyond). */
  maxRequestLine: number;
  /** Longest header block in bytes, request line and final empty line included (431 beyond). */
  maxHeaderBytes: number;
  /** Most header fields (431 beyond). */
  maxHeaders: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = { maxRequestLine: 2048, maxHeaderBytes: 8192, maxHeaders: 64 };

export interface HttpRequest {
  method: string;
  /** The request-target exactly as sent (origin form: starts with "/"). */
  target: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor: number;
  /** Header values by lower-case field name (the last one wins), leading and trailing blanks removed. */
  headers: Record<string, string>;
  /** Bytes of the header block, final CRLF CRLF included: where a body would start. */
  length: number;
}

/**
 * What `parseRequest` found: a complete, well-formed header block; a prefix that is well-formed so far and
 * needs more bytes; or an error with the HTTP status to answer (400, 414, 431, 505).
 */
export type HttpParse =
  | { kind: "request"; request: HttpRequest }
  | { kind: "incomplete" }
  | { kind: "error"; status: number; reason: string };

const fail = (status: number, reason: string): HttpParse => ({ kind: "error", status, reason });
const INCOMPLETE: HttpParse = { kind: "incomplete" };

/** RFC 9110 token characters, as the body of a Lua pattern class. */
const TOKEN = "%w!#$%%&'*+%-.^_`|~";

/** Bytes a field value may not hold: controls other than horizontal tab (RFC 9110 5.5). */
const CONTROL_EXCEPT_TAB = "[\0-\x08\x0a-\x1f\x7f]";

/** Prefixes of a request line that can still become valid, up to the start of the version. */
const REQUEST_LINE_PREFIXES = [`^[${TOKEN}]*$`, `^[${TOKEN}]+ $`, `^[${TOKEN}]+ /[^%s%c]*$`];

/** Whether a request line without its CRLF yet can still become a valid one. */
function requestLinePrefixOk(partial: string): boolean {
  if (matchesAny(partial, REQUEST_LINE_PREFIXES)) return true;
  const [version] = match(partial, `^[${TOKEN}]+ /[^%s%c]* (%S*)$`);
  if (version === undefined) return false;
  const known = sub("HTTP/1.1", 1, version.length);
  return version === known || version === sub("HTTP/1.0", 1, version.length);
}

/** Prefixes of a header field line that can still become valid. */
const FIELD_PREFIXES = [`^[${TOKEN}]*$`, `^[${TOKEN}]+:[^%c]*$`, `^[${TOKEN}]+:[^%c]*\r$`, "^\r$"];

function matchesAny(text: string, patterns: readonly string[]): boolean {
  for (const pattern of patterns) {
    const [found] = match(text, pattern);
    if (found !== undefined) return true;
  }
  return false;
}

/**
 * Parses the header block at the start of `text`. A prefix that is valid so far gives "incomplete" only
 * while it stays within the limits, so waiting for more bytes cannot be abused to hold unbounded data.
 */
export function parseRequest(text: string, limits: HttpLimits = DEFAULT_HTTP_LIMITS): HttpParse {
  const [blockEnd] = find(text, "\r\n\r\n", 1, true);
  if ((blockEnd === undefined ? text.length : blockEnd + 3) > limits.maxHeaderBytes) return fail(431, "header block too large");

  const [lineEnd] = find(text, "\r\n", 1, true);
  const requestLine = lineEnd === undefined ? text : sub(text, 1, lineEnd - 1);
  if (requestLine.length > limits.maxRequestLine) return fail(414, "request line too long");
  if (lineEnd === undefined) {
    const partial = sub(requestLine, -1) === "\r" ? sub(requestLine, 1, -2) : requestLine;
    return requestLinePrefixOk(partial) ? INCOMPLETE : fail(400, "malformed request line");
  }

  const [method, target, version] = match(requestLine, `^([${TOKEN}]+) (/[^%s%c]*) (%S+)$`);
  if (method === undefined || target === undefined || version === undefined) return fail(400, "malformed request line");
  const [minor] = match(version, "^HTTP/1%.([01])$");
  if (minor === undefined) {
    const [otherVersion] = match(version, "^HTTP/%d%.%d$");
    return otherVersion !== undefined ? fail(505, "unsupported HTTP version") : fail(400, "malformed HTTP version");
  }

  const headers: Record<string, string> = {};
  let count = 0;
  let position = lineEnd + 2;
  for (;;) {
    const [next] = find(text, "\r\n", position, true);
    if (next === undefined) {
      return matchesAny(sub(text, position), FIELD_PREFIXES) ? INCOMPLETE : fail(400, "malformed header field");
    }
    if (next === position) break; // the empty line that ends the block
    const [name, raw] = match(sub(text, position, next - 1), `^([${TOKEN}]+):(.*)$`);
    if (name === undefined || raw === undefined || find(raw, CONTROL_EXCEPT_TAB)[0] !== undefined) {
      return fail(400, "malformed header field");
    }
    count++;
    if (count > limits.maxHeaders) return fail(431, "too many header fields");
    headers[lower(name)] = trimBlanks(raw);
    position = next + 2;
  }
  if (minor === "1" && headers["host"] === undefined) return fail(400, "HTTP/1.1 request without Host");
  return { kind: "request", request: { method, target, minor: minor === "1" ? 1 : 0, headers, length: position + 1 } };
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
  for (const segment of decoded.split("/")) {
    if (segment === "." || segment === "..") return undefined;
  }
  return decoded;
}

/** `%XX` escapes decoded to bytes; undefined when a `%` is not followed by two hex digits. */
function decodePercent(path: string): string | undefined {
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
