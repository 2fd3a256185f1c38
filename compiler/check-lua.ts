/**
 * The Lua-level check, run on the exact chunk that ships (helpers and lualib included): float numerals by
 * their raw text, `/` and `^`, globals outside the dialect's allowlist, trimmed library members, and
 * requires of anything that is not a bundled module.
 */
import type * as lp from "luaparse";
import { INT64_MAX, LIBRARIES, allowedGlobals, type Target } from "../common/dialect.js";
import type { Code } from "../common/diagnostics.js";
import { LuaSyntaxError, analyzeScopes, parseLua, rangeOf, walk } from "./lua/ast.js";

export interface LuaViolation {
  code: Code;
  args: string[];
  /** 1-based. */
  line: number;
  /** 0-based. */
  column: number;
}

export interface LuaCheckOptions {
  target: Target | "module";
  /** Names `require` may load: the modules of the bundle. */
  modules: ReadonlySet<string>;
  /** Globals the chunk itself defines for the kernel to call (the hook's entry). */
  definedGlobals?: ReadonlySet<string>;
}

/** Lua 5.3 reads a numeral as a float if it has a fraction or exponent, or is a decimal beyond int64. */
export function isFloatNumeral(raw: string): boolean {
  if (/^0[xX]/.test(raw)) return /[.pP]/.test(raw);
  if (/[.eE]/.test(raw)) return true;
  return BigInt(raw) > INT64_MAX;
}

const FIX_UPSTREAM = "Find the TypeScript construct at this line and rewrite it with integer operations.";

export function checkLua(text: string, options: LuaCheckOptions): LuaViolation[] {
  let chunk: lp.Chunk;
  try {
    chunk = parseLua(text, { locations: false });
  } catch (error) {
    if (error instanceof LuaSyntaxError) {
      return [{ code: "KS2008", args: [error.message], line: error.line, column: error.column }];
    }
    throw error;
  }
  const out: LuaViolation[] = [];
  // Positions come from offsets, computed only when there is something to report.
  let lineStarts: number[] | undefined;
  const at = (node: lp.Node, code: Code, ...args: string[]) => {
    lineStarts ??= [0, ...[...text.matchAll(/\n/g)].map((m) => m.index! + 1)];
    const offset = rangeOf(node)[0];
    let line = 0;
    while (line + 1 < lineStarts.length && lineStarts[line + 1] <= offset) line++;
    out.push({ code, args, line: line + 1, column: offset - lineStarts[line] });
  };
  const allowed = allowedGlobals(options.target);
  const scopes = analyzeScopes(chunk);
  const globalNodes = new Set<lp.Node>(scopes.globals);
  const isGlobal = (node: lp.Expression, name?: string): node is lp.Identifier =>
    node.type === "Identifier" && globalNodes.has(node) && (name === undefined || node.name === name);

  // `local s = string` (what `import * as s from "kscript/string"` compiles to) makes s the library too,
  // as long as s is never assigned again.
  const libraryAliases = new Map<number, string>();
  const assigned = new Set<number>();
  const locals: lp.LocalStatement[] = [];
  walk(chunk, (node) => {
    if (node.type === "AssignmentStatement") {
      for (const v of node.variables) if (v.type === "Identifier") assigned.add(rangeOf(v)[0]);
    } else if (node.type === "LocalStatement") {
      locals.push(node);
    }
  });
  for (const node of locals) {
    node.variables.forEach((v, i) => {
      const init = node.init[i];
      if (init && isGlobal(init) && Object.hasOwn(LIBRARIES, init.name)) {
        const binding = scopes.bindingAt.get(rangeOf(v)[0]);
        if (binding && !binding.references.some((r) => assigned.has(rangeOf(r)[0]))) {
          for (const r of binding.references) libraryAliases.set(rangeOf(r)[0], init.name);
        }
      }
    });
  }
  /** The library an expression stands for: the global itself or an alias of it. */
  const libraryOf = (node: lp.Expression): string | undefined => {
    if (node.type !== "Identifier") return undefined;
    if (isGlobal(node)) return Object.hasOwn(LIBRARIES, node.name) ? node.name : undefined;
    return libraryAliases.get(rangeOf(node)[0]);
  };

  for (const id of scopes.globals) {
    if (id.name === "require") at(id, "KS2007");
    else if (!allowed.has(id.name) && !options.definedGlobals?.has(id.name)) {
      at(id, "KS2004", id.name, FIX_UPSTREAM);
    }
  }

  walk(chunk, (node) => {
    switch (node.type) {
      case "NumericLiteral": {
        const raw = text.slice(...rangeOf(node));
        if (isFloatNumeral(raw)) at(node, "KS2001", raw, FIX_UPSTREAM);
        break;
      }
      case "BinaryExpression":
        if (node.operator === "/") at(node, "KS2002", FIX_UPSTREAM);
        else if (node.operator === "^") at(node, "KS2003", FIX_UPSTREAM);
        break;
      case "MemberExpression": {
        const lib = libraryOf(node.base);
        if (lib) {
          if (!LIBRARIES[lib].includes(node.identifier.name)) {
            at(node, "KS2005", lib, node.identifier.name, `It keeps: ${LIBRARIES[lib].join(", ")}.`);
          }
        }
        break;
      }
      case "IndexExpression": {
        const lib = libraryOf(node.base);
        if (lib) {
          if (node.index.type !== "StringLiteral") at(node, "KS2009", lib);
          else {
            const member = text.slice(...rangeOf(node.index)).slice(1, -1);
            if (!LIBRARIES[lib].includes(member)) at(node, "KS2005", lib, member, `It keeps: ${LIBRARIES[lib].join(", ")}.`);
          }
        }
        break;
      }
      case "CallExpression":
      case "StringCallExpression": {
        const base = node.base;
        if (base.type !== "Identifier" || base.name !== "require" || globalNodes.has(base)) break;
        const arg = node.type === "CallExpression" ? node.arguments[0] : node.argument;
        const name = arg?.type === "StringLiteral" ? text.slice(...rangeOf(arg)).slice(1, -1) : undefined;
        if (name === undefined || !options.modules.has(name)) at(node, "KS2006", name ?? "(computed name)");
        break;
      }
    }
  });
  return out.sort((a, b) => a.line - b.line || a.column - b.column);
}
