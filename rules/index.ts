/**
 * Forwarding rules for the xdp-forward template: rule text in, rcu entries out. Lexing and parsing use
 * chevrotain (lexer.ts, parser.ts), the semantic check is check.ts, and entries.ts encodes what the hook reads.
 */
import type { Diagnostic } from "../common/diagnostics.js";
import { checkRules, type ForwardRule } from "./check.js";
import { compileEntries, type CompiledRules } from "./entries.js";
import { parseRules } from "./parser.js";

export { MAX_RULES, type ForwardRule, type Network } from "./check.js";
export { COUNT_KEY, interfaceKey, type CompiledRules, type RcuEntry } from "./entries.js";

export interface RulesResult extends CompiledRules {
  ok: boolean;
  /** Every problem in the file, in line order; with any, `rules` and `entries` are empty. */
  diagnostics: Diagnostic[];
  rules: ForwardRule[];
}

/** Compiles the text of a rule file; `file` is the path that diagnostics name. */
export function compileRules(text: string, file: string): RulesResult {
  const parsed = parseRules(text, file);
  const checked = checkRules(parsed.rules, file);
  const diagnostics = [...parsed.diagnostics, ...checked.diagnostics].sort((a, b) => a.line! - b.line! || a.column! - b.column!);
  if (diagnostics.length > 0) return { ok: false, diagnostics, rules: [], entries: [], interfaces: [] };
  return { ok: true, diagnostics, rules: checked.rules, ...compileEntries(checked.rules) };
}
