/**
 * The rule grammar: a line is empty or one rule, and a rule is a sequence of `OPTION VALUE` pairs and bare
 * words (the output interface), in any order. Lines are parsed one by one so that a mistake on one line
 * still lets every other line be checked.
 */
import { EmbeddedActionsParser, type IRecognitionException, type IToken } from "chevrotain";
import { diagnostic, type Diagnostic } from "../common/diagnostics.js";
import { OPTIONS, Option, TOKENS, Word, Newline, optionOf, ruleLexer, type OptionSpec } from "./lexer.js";

export interface ParsedOption {
  spec: OptionSpec;
  flag: IToken;
  value: IToken;
}

export interface ParsedRule {
  /** 1-based line of the rule. */
  line: number;
  /** The rule's first token (where "the rule" as a whole is reported). */
  start: IToken;
  options: ParsedOption[];
  /** Bare words: output interfaces. */
  words: IToken[];
}

class RuleParser extends EmbeddedActionsParser {
  constructor() {
    super([...TOKENS], { recoveryEnabled: false });
    this.performSelfAnalysis();
  }

  readonly rule = this.RULE("rule", () => {
    const options: { flag: IToken; value: IToken }[] = [];
    const words: IToken[] = [];
    this.AT_LEAST_ONE(() =>
      this.OR([
        {
          ALT: () => {
            const flag = this.CONSUME(Option);
            options.push({ flag, value: this.CONSUME(Word) });
          },
        },
        { ALT: () => words.push(this.CONSUME2(Word)) },
      ]),
    );
    return { options, words };
  });
}

const parser = new RuleParser();

export interface ParseResult {
  rules: ParsedRule[];
  diagnostics: Diagnostic[];
}

/** Splits `text` into lines of tokens and parses each non-empty one as a rule. */
export function parseRules(text: string, file: string): ParseResult {
  const lexed = ruleLexer.tokenize(text);
  // The lexer is total (every character is in some token); an error here is a bug in the token set.
  if (lexed.errors.length > 0) throw new Error(`rule lexer: ${lexed.errors[0].message}`);
  const result: ParseResult = { rules: [], diagnostics: [] };
  let line: IToken[] = [];
  for (const token of [...lexed.tokens, undefined]) {
    if (token !== undefined && token.tokenType !== Newline) {
      line.push(token);
      continue;
    }
    if (line.length > 0) parseLine(line, file, result);
    line = [];
  }
  return result;
}

function parseLine(tokens: IToken[], file: string, result: ParseResult): void {
  parser.input = tokens;
  const parsed = parser.rule();
  const [error] = parser.errors;
  if (error) {
    result.diagnostics.push(syntaxError(error, file));
    return;
  }
  const { options, words } = parsed;
  result.rules.push({
    line: tokens[0].startLine!,
    start: tokens[0],
    options: options.map(({ flag, value }) => ({ spec: optionOf(flag)!, flag, value })),
    words,
  });
}

/**
 * A line fails to parse in two ways only: an option whose value is missing (the line ends, or an option
 * follows it), or an unknown option where an option or a word could start.
 */
function syntaxError(error: IRecognitionException, file: string): Diagnostic {
  if (error.name === "MismatchedTokenException") {
    const flag = (error as IRecognitionException & { previousToken: IToken }).previousToken;
    return diagnostic("KS5002", [flag.image, optionOf(flag)!.value], at(flag, file));
  }
  return diagnostic("KS5001", [error.token.image, suggestOption(error.token.image)], at(error.token, file));
}

export function at(token: IToken, file: string, offset = 0): Partial<Diagnostic> {
  return { file, line: token.startLine, column: token.startColumn! + offset };
}

/** "Did you mean …" for an unknown option: the closest spelling, or how to write `--opt=value`. */
function suggestOption(image: string): string {
  const [name, value] = image.split(/=(.*)/s);
  const spellings = OPTIONS.flatMap((o) => o.spellings);
  if (value !== undefined && spellings.includes(name)) return `Separate the value with a space: '${name} ${value}'.`;
  let best = { spelling: "", distance: Infinity };
  for (const s of spellings) {
    const d = editDistance(name, s);
    if (d < best.distance) best = { spelling: s, distance: d };
  }
  // Two-letter options are all one edit apart: guessing among them would mislead.
  if (best.distance <= Math.floor(name.length / 3)) return `Did you mean '${best.spelling}'?`;
  return `Known options: ${OPTIONS.map((o) => o.spellings[0]).join(", ")}.`;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length];
}
