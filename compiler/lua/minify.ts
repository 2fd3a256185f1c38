/**
 * The minifier: re-emits a chunk token by token with locals renamed to the shortest free names and no
 * comments or indentation. Working on tokens (not a reprinted AST) keeps every parenthesis exactly where
 * it was, so `(f())` still truncates to one value and precedence cannot change. Every statement starts a
 * new line: a newline costs the same byte as the space it replaces, and it keeps Lua's runtime error lines
 * mappable to the TypeScript line through the source map.
 */
import luaparse from "luaparse";
import type * as lp from "luaparse";
import { analyzeScopes, parseLua, rangeOf, walk, type Binding, type Scope } from "./ast.js";
import type { DecodedMap, Segment } from "../sourcemap.js";

const KEYWORDS = new Set(
  "and break do else elseif end false for function goto if in local nil not or repeat return then true until while".split(
    " ",
  ),
);

const TOKEN_EOF = 1;
const WORDLIKE = 4 | 8 | 16 | 64 | 128; // keyword, identifier, number, boolean, nil
const TOKEN_NUMBER = 16;
const TOKEN_PUNCTUATOR = 32;

/** Punctuator pairs that would lex as something else if written with nothing between them. */
const MERGING_PAIRS = new Set(["--", "..", "[[", "[=", "==", "<=", "<<", ">=", ">>", "~=", "//", "::", "=="]);

function* shortNames(): Generator<string> {
  const first = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_";
  const rest = first + "0123456789";
  for (let length = 1; ; length++) {
    const counters = new Array<number>(length).fill(0);
    for (;;) {
      const name = counters.map((c, i) => (i === 0 ? first[c] : rest[c])).join("");
      if (!KEYWORDS.has(name)) yield name;
      let i = length - 1;
      while (i >= 0) {
        counters[i]++;
        if (counters[i] < (i === 0 ? first.length : rest.length)) break;
        counters[i] = 0;
        i--;
      }
      if (i < 0) break;
    }
  }
}

/**
 * New names for the chunk's locals. A binding never takes a name used by a global anywhere in the chunk or
 * by any binding of an enclosing scope, so no reference can be captured by a different variable; sibling
 * scopes reuse names freely. The most used bindings get the shortest names.
 */
function assignNames(root: Scope, reserved: Set<string>): Map<Binding, string> {
  const names = new Map<Binding, string>();
  const visit = (scope: Scope, taken: Set<string>) => {
    const here = new Set(taken);
    for (const b of scope.bindings) if (b.fixed) here.add(b.name);
    const ordered = scope.bindings.filter((b) => !b.fixed).sort((a, b) => b.references.length - a.references.length);
    const generator = shortNames();
    for (const binding of ordered) {
      let name = generator.next().value as string;
      while (here.has(name) || reserved.has(name)) name = generator.next().value as string;
      here.add(name);
      names.set(binding, name);
    }
    for (const child of scope.children) visit(child, here);
  };
  visit(root, new Set());
  return names;
}

export interface MinifyResult {
  text: string;
  /** Maps the minified text (generated) to the input text (source 0). */
  map: DecodedMap;
}

export interface MinifyOptions {
  /** Local names to keep as written (the bundle's `require`, so its calls stay recognisable). */
  keep?: ReadonlySet<string>;
}

export function minifyLua(input: string, options: MinifyOptions = {}): MinifyResult {
  const chunk = parseLua(input, { locations: false });
  const scopes = analyzeScopes(chunk);
  for (const scope of allScopes(scopes.root)) {
    for (const b of scope.bindings) if (options.keep?.has(b.name)) b.fixed = true;
  }
  const reserved = new Set(scopes.globals.map((g) => g.name));
  for (const scope of allScopes(scopes.root)) for (const b of scope.bindings) if (b.fixed) reserved.add(b.name);
  const newNames = assignNames(scopes.root, reserved);

  const statementStarts = new Set<number>();
  walk(chunk, (node) => {
    const body = (node as { body?: unknown }).body;
    if (Array.isArray(body)) for (const s of body as lp.Node[]) statementStarts.add(rangeOf(s)[0]);
  });

  const lines: string[] = [];
  const segments: Segment[][] = [];
  let line = "";
  let lineSegments: Segment[] = [];
  let previous: { type: number; text: string } | undefined;
  const lexer = luaparse.parse(input, { wait: true, luaVersion: "5.3", comments: false }) as unknown as {
    lex(): lp.Token;
  };
  for (;;) {
    const token = lexer.lex();
    if (token.type === TOKEN_EOF) break;
    const start = token.range[0];
    let text = input.slice(start, token.range[1]);
    const binding = scopes.bindingAt.get(start);
    if (binding) text = newNames.get(binding) ?? text;

    if (statementStarts.has(start) && previous) {
      lines.push(line);
      segments.push(lineSegments);
      line = text === "(" ? ";" : "";
      lineSegments = [];
    } else if (previous && needsSpace(previous, { type: token.type, text })) {
      line += " ";
    }
    lineSegments.push({
      column: line.length,
      source: 0,
      sourceLine: token.line - 1,
      sourceColumn: start - token.lineStart,
    });
    line += text;
    previous = { type: token.type, text };
  }
  lines.push(line);
  segments.push(lineSegments);
  return { text: lines.join("\n") + "\n", map: { sources: ["input"], lines: segments } };
}

function needsSpace(a: { type: number; text: string }, b: { type: number; text: string }): boolean {
  if (a.type & WORDLIKE && b.type & WORDLIKE) return true;
  if (a.type === TOKEN_NUMBER && (b.text.startsWith(".") || /^\w/.test(b.text))) return true;
  if (a.type === TOKEN_PUNCTUATOR || b.type === TOKEN_PUNCTUATOR || a.text.endsWith("]") || b.text.startsWith("[")) {
    return MERGING_PAIRS.has(a.text.slice(-1) + b.text[0]);
  }
  return false;
}

function* allScopes(scope: Scope): Generator<Scope> {
  yield scope;
  for (const child of scope.children) yield* allScopes(child);
}
