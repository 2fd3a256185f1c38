/**
 * Tokens of the forwarding rule language (templates/xdp-forward/README.md): one rule per line, options spelled
 * as in iptables, a bare word for the output interface, `#` to the end of the line a comment. The lexer is
 * total — every character belongs to some token — so every mistake is reported by the parser or the checker,
 * with a position and a fix, never as "unexpected character".
 */
import { Lexer, createToken, type IToken, type TokenType } from "chevrotain";

export type OptionName =
  | "protocol"
  | "source"
  | "destination"
  | "sport"
  | "dport"
  | "to-destination"
  | "to-mac"
  | "from-mac"
  | "out-interface";

export interface OptionSpec {
  name: OptionName;
  /** Accepted spellings, the usual one first (used in messages). */
  spellings: readonly string[];
  /** What the value looks like, for "needs a value" messages. */
  value: string;
}

const NETWORK = "an IPv4 address or network, e.g. 10.0.0.2 or 10.0.0.0/24";
const PORTS = "a port or a range, e.g. 53 or 1024:65535";
const MAC = "a MAC address, e.g. 02:00:00:00:00:09";

export const OPTIONS: readonly OptionSpec[] = [
  { name: "protocol", spellings: ["-p", "--protocol"], value: "the protocol, udp or tcp" },
  { name: "source", spellings: ["-s", "--source"], value: NETWORK },
  { name: "destination", spellings: ["-d", "--destination"], value: NETWORK },
  { name: "sport", spellings: ["--sport", "--source-port"], value: PORTS },
  { name: "dport", spellings: ["--dport", "--destination-port"], value: PORTS },
  { name: "to-destination", spellings: ["--to-destination"], value: "the new destination: ADDRESS, ADDRESS:PORT or :PORT, e.g. 192.168.0.1:53" },
  { name: "to-mac", spellings: ["--to-mac"], value: MAC },
  { name: "from-mac", spellings: ["--from-mac"], value: MAC },
  { name: "out-interface", spellings: ["-o", "--out-interface"], value: "an interface name, e.g. eth0" },
];

/**
 * Anything that starts with '-' and is not a known option spelling. A '-' before a digit starts a value, not an
 * option ('--dport -1'), so the checker can say what is wrong with that value.
 */
export const UnknownOption = createToken({ name: "UnknownOption", pattern: /-(?!\d)[^\s#]*/ });
/** A value or the output interface: a run of characters that does not start with '-' (but for '-' and a digit). */
export const Word = createToken({ name: "Word", pattern: /(?:[^\s#-]|-(?=\d))[^\s#]*/ });
export const Newline = createToken({ name: "Newline", pattern: /\n/, line_breaks: true });
const Blank = createToken({ name: "Blank", pattern: /[^\S\n]+/, group: Lexer.SKIPPED });
const Comment = createToken({ name: "Comment", pattern: /#[^\n]*/, group: Lexer.SKIPPED });
/** The category every known option token belongs to, so the grammar can say "an option, then its value". */
export const Option = createToken({ name: "Option", pattern: Lexer.NA });

/** One token type per option; its spellings, longest first, are alternatives of one pattern. */
const optionTokens = OPTIONS.map((spec) => ({
  spec,
  token: createToken({
    name: spec.name,
    pattern: new RegExp([...spec.spellings].sort((a, b) => b.length - a.length).join("|")),
    // "-pudp" or "--dport=53" are one unknown option, not "-p" followed by garbage.
    longer_alt: UnknownOption,
    categories: [Option],
  }),
}));

/** The option a token stands for. */
export function optionOf(token: IToken): OptionSpec | undefined {
  return optionTokens.find((o) => o.token === token.tokenType)?.spec;
}

// A spelling that is a prefix of another's (--source of --source-port) must be tried after it.
const longestSpelling = (t: (typeof optionTokens)[number]) => Math.max(...t.spec.spellings.map((s) => s.length));
export const TOKENS: readonly TokenType[] = [
  Newline,
  Blank,
  Comment,
  ...[...optionTokens].sort((a, b) => longestSpelling(b) - longestSpelling(a)).map((o) => o.token),
  UnknownOption,
  Word,
  Option,
];

export const ruleLexer = new Lexer([...TOKENS], {
  // Lines are what editors number: only '\n' ends one ('\r' of CRLF is blank space).
  lineTerminatorsPattern: /\n/g,
  lineTerminatorCharacters: ["\n"],
});
