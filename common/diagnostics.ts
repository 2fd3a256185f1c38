/**
 * The diagnostics catalog. Codes are stable: tools and docs refer to them, so a code is never reused for a
 * different problem. KS1xxx: TypeScript-level checks; KS2xxx: checks on the Lua that ships; KS3xxx: packaging;
 * KS4xxx: command line and project configuration; KS5xxx: forwarding rule files. TypeScript's own errors keep
 * their TS codes, as in tsc.
 */

export type Code = keyof typeof CATALOG;

interface Entry {
  title: string;
  /** The message; `{0}`, `{1}`… are filled from the arguments. It says what is wrong and how to fix it. */
  message: string;
}

export const CATALOG = {
  KS1001: {
    title: "non-integer numeral",
    message: "'{0}' is not an integer: kscript Lua has 64-bit integers only. Use an integer (scale to milli- or micro-units if you need fractions).",
  },
  KS1002: {
    title: "integer out of range",
    message: "'{0}' does not fit a 64-bit integer. The largest is 9223372036854775807 (or 0xFFFFFFFFFFFFFFFF written in hex as a bit pattern).",
  },
  KS1003: {
    title: "float division",
    message: "'/' produces a float in Lua. Use idiv(a, b) from 'kscript/int' or Math.floor(a / b) for floor division.",
  },
  KS1004: {
    title: "float division assignment",
    message: "'/=' produces a float in Lua. Write 'x = idiv(x, y)' with idiv from 'kscript/int'.",
  },
  KS1005: {
    title: "exponentiation",
    message: "'{0}' produces a float in Lua. Use ipow(base, exponent) from 'kscript/int'.",
  },
  KS1006: {
    title: "float constant",
    message: "'{0}' is a float value and kscript Lua has none. {1}",
  },
  KS1007: {
    title: "float Math function",
    message: "'Math.{0}' works on floats. Integer code can use Math.abs, Math.max, Math.min, Math.floor(a / b), and ipow/sar from 'kscript/int'.",
  },
  KS1008: {
    title: "float conversion",
    message: "'{0}' produces or parses floats. {1}",
  },
  KS1009: {
    title: "module outside the bundle",
    message: "'{0}' cannot be imported into a hook: only relative imports and 'kscript/…' modules are bundled (Node and npm modules do not exist in the kernel).",
  },
  KS1010: {
    title: "forbidden Lua facility",
    message: "'{0}' is not available to hooks: kscript Lua has no file, process, module loading, bytecode or debug access. Import what you need from a 'kscript/…' module.",
  },
  KS1011: {
    title: "dynamic global access",
    message: "'{0}' gives dynamic access to Lua globals, which kscript forbids. Import what you need from a 'kscript/…' module.",
  },
  KS1012: {
    title: "construct the Lua output cannot honour",
    message: "{0} Rewrite this construct; kscript cannot compile it to Lua 5.3.",
  },
  KS1013: {
    title: "missing hook entry",
    message: "A '{0}' hook must export a function named '{1}' from its entry module. Add 'export function {1}(…)'.",
  },
  KS1014: {
    title: "binding not available to this target",
    message: "'kscript/{0}' is not available to '{1}' hooks; it exists for {2} hooks. Remove the import or change the hook's target.",
  },
  KS1015: {
    title: "JavaScript runtime object",
    message: "'{0}' is part of JavaScript's runtime and does not exist in kscript Lua. {1}",
  },
  KS1016: {
    title: "compound shift assignment",
    message: "'{0}' is not supported. Write 'x = x {1} n' instead.",
  },
  KS1017: {
    title: "BigInt",
    message: "BigInt is not needed: kscript numbers are already 64-bit integers. Drop the 'n' suffix and use number.",
  },
  KS1018: {
    title: "unknown kscript module",
    message: "'{0}' is not a kscript module. Available: {1}.",
  },
  KS1019: {
    title: "hook entry with the wrong signature",
    message: "'{0}' has type '{1}', which a '{2}' hook cannot be called with; it must fit '{3}'. Annotate it with {4} from 'kscript/hooks' to see where it differs.",
  },
  KS2001: {
    title: "float numeral in Lua",
    message: "The Lua output contains the float numeral '{0}'. {1}",
  },
  KS2002: {
    title: "float division in Lua",
    message: "The Lua output divides with '/', which produces a float. {0}",
  },
  KS2003: {
    title: "exponentiation in Lua",
    message: "The Lua output uses '^', which produces a float. {0}",
  },
  KS2004: {
    title: "global outside the allowlist",
    message: "The Lua output reads or writes the global '{0}', which kscript Lua does not provide. {1}",
  },
  KS2005: {
    title: "library member outside the dialect",
    message: "'{0}.{1}' is not part of kscript Lua's trimmed '{0}' library. {2}",
  },
  KS2006: {
    title: "require of a module that is not bundled",
    message: "The Lua output requires '{0}', which is not in the bundle. Import it from a TypeScript file of the project so it gets bundled.",
  },
  KS2007: {
    title: "global require",
    message: "The Lua output reads the global 'require'; hooks cannot load modules at run time. Import the module from TypeScript so it gets bundled.",
  },
  KS2008: {
    title: "Lua syntax error",
    message: "The Lua output does not parse: {0}. This is a compiler bug; please report it with the hook's source.",
  },
  KS2009: {
    title: "dynamic library access",
    message: "The Lua output indexes the library '{0}' with a computed key, which the dialect cannot check. Call the member by name.",
  },
  KS3001: {
    title: "package over its size budget",
    message: "'{0}' is {1} bytes, over the {2}-byte budget of '{3}' hooks. {4}",
  },
  KS4001: {
    title: "usage",
    message: "{0}",
  },
  KS4002: {
    title: "file not found",
    message: "{0} does not exist. {1}",
  },
  KS4003: {
    title: "bad project configuration",
    message: "{0}",
  },
  KS4004: {
    title: "unknown target",
    message: "'{0}' is not a hook target. Use one of: xdp, tls, sock (or leave it out to build a plain module).",
  },
  // KS5xxx: forwarding rule files (rules/, `kscript rules`).
  KS5001: {
    title: "unknown rule option",
    message: "'{0}' is not a rule option. {1}",
  },
  KS5002: {
    title: "rule option without a value",
    message: "'{0}' needs a value: {1}. Write it after the option, separated by a space.",
  },
  KS5003: {
    title: "invalid IPv4 address",
    message: "'{0}' is not an IPv4 address: {1}. Write four decimal numbers 0-255 separated by dots, e.g. 10.0.0.2.",
  },
  KS5004: {
    title: "invalid prefix length",
    message: "'/{0}' is not a prefix length. Write /0 to /32 after the address, e.g. 10.0.0.0/24.",
  },
  KS5005: {
    title: "network address with host bits",
    message: "'{0}' has bits set after its first {1}, so it names no network. Write '{2}' for the network, or '/32' for the single address.",
  },
  KS5006: {
    title: "invalid port",
    message: "'{0}' is not a port. Ports are whole numbers 0-65535, {1}.",
  },
  KS5007: {
    title: "empty port range",
    message: "The range '{0}' is empty: its first port is above its last. Write '{1}'.",
  },
  KS5008: {
    title: "unsupported protocol",
    message: "'{0}' is not a protocol the forwarder handles. Write '-p udp' or '-p tcp'.",
  },
  KS5009: {
    title: "port without a protocol",
    message: "'{0}' {1} a port, which needs the protocol. Add '-p udp' or '-p tcp' to the rule.",
  },
  KS5010: {
    title: "rule without an output interface",
    message: "This rule does not say where to send packets. End it with the output interface, e.g. '… eth0' (or '-o eth0').",
  },
  KS5011: {
    title: "repeated rule option",
    message: "'{0}' repeats '{1}' from column {2}; a rule takes each option once. Remove one of them.",
  },
  KS5012: {
    title: "second output interface",
    message: "'{0}' is a second output interface ('{1}' is at column {2}); a rule sends to one interface. Remove one, or write a rule per interface. A value belongs right after its option.",
  },
  KS5013: {
    title: "invalid interface name",
    message: "'{0}' is not an interface name: {1}. Names are 1-15 letters, digits, '_', '.' or '-' (not starting with '-'), e.g. eth0.",
  },
  KS5014: {
    title: "invalid MAC address",
    message: "'{0}' is not a MAC address. Write six two-digit hexadecimal bytes separated by ':', e.g. 02:00:00:00:00:09.",
  },
  KS5015: {
    title: "group MAC as source",
    message: "'{0}' is a group (multicast) address, which cannot be a frame's source. Use the unicast address of the output interface (its first byte is even), e.g. from 'ip link show'.",
  },
  KS5016: {
    title: "empty new destination",
    message: "'{0}' gives neither an address nor a port. Write ADDRESS, ADDRESS:PORT or :PORT, e.g. --to-destination 192.168.0.1:53.",
  },
  KS5017: {
    title: "too many rules",
    message: "This is rule {0}; the forwarder reads at most {1} rules per packet. Merge rules with networks (10.0.0.0/24) or port ranges (1000:2000).",
  },
  KS5018: {
    title: "new destination port 0",
    message: "'{0}' would send packets to port 0, which no service listens on and the stack drops. Give a port 1-65535, e.g. --to-destination 192.168.0.1:53.",
  },
  // KS6xxx: DNS zone files (zone/, `kscript dns`).
  KS6001: {
    title: "record type not served",
    message: "'{0}' is not a record type xdp-dns serves. Write A or AAAA records (SOA and NS records are checked, not served).",
  },
  KS6002: {
    title: "invalid domain name",
    message: "'{0}' is not a domain name: {1}.",
  },
  KS6003: {
    title: "invalid TTL",
    message: "'{0}' is not a TTL. Write whole seconds, 0 to 2147483647, e.g. 3600, or a duration such as 1h30m (units s, m, h, d, w).",
  },
  KS6004: {
    title: "invalid IPv4 address",
    message: "'{0}' is not an IPv4 address. Write four decimal numbers 0-255 separated by dots, e.g. 192.0.2.1.",
  },
  KS6005: {
    title: "invalid IPv6 address",
    message: "'{0}' is not an IPv6 address. Write eight groups of 1-4 hex digits separated by ':', or fewer with one '::', e.g. 2001:db8::1.",
  },
  KS6006: {
    title: "class not served",
    message: "'{0}' is not class IN, the only class xdp-dns answers. Write IN, or leave the class out.",
  },
  KS6007: {
    title: "record without a TTL",
    message: "This record has no TTL and none is set before it. Put '$TTL 3600' before it, or write its TTL after the owner name.",
  },
  KS6008: {
    title: "relative name without an origin",
    message: "'{0}' is relative and no $ORIGIN is set before it. Put '$ORIGIN example.com.' before it, or end the name with a dot.",
  },
  KS6009: {
    title: "unsupported directive",
    message: "'{0}' is not supported. Zone files here use $ORIGIN and $TTL; put included records in this file.",
  },
  KS6010: {
    title: "unbalanced parentheses",
    message: "{0}. Parentheses continue one record over several lines and must pair up within it.",
  },
  KS6011: {
    title: "unexpected token",
    message: "Expected {0}, found {1}.",
  },
  KS6012: {
    title: "too many records",
    message: "{0} has {1} {2} records; one rcu entry holds at most {3} of them. Remove some.",
  },
  KS6013: {
    title: "name too long for a key",
    message: "'{0}' is {1} bytes on the wire; with the type the rcu key holds names of at most 253. Use a shorter name.",
  },
  KS6014: {
    title: "unsupported syntax",
    message: "{0} are not supported here. Write names and addresses without them.",
  },
  KS6015: {
    title: "wildcard owner",
    message: "'{0}' is a wildcard owner (RFC 4592); xdp-dns answers the names written, not names a wildcard would match. Write a record for each name to answer.",
  },
  KS6016: {
    title: "name outside the zone",
    message: "'{0}' is outside the zone '{1}' ({2}); zone readers such as BIND, NSD and dnspython leave such records out. Write names at or under '{1}', or put these in a zone file of their own.",
  },
  KS6017: {
    title: "relative $ORIGIN",
    message: "'{0}' is relative; zone readers disagree on what a relative $ORIGIN is relative to. Write the whole name ending in a dot, e.g. '$ORIGIN {0}.{1}'.",
  },
  KS6018: {
    title: "SOA away from the zone's apex",
    message: "'{0}' holds an SOA record, which belongs at the zone's apex '{1}' ({2}); BIND, NSD and dnspython refuse a zone whose SOA is elsewhere. Write the SOA record at '@'.",
  },
  KS4005: {
    title: "folder not empty",
    message: "{0} is not empty; kscript init only creates new projects. Give a new or empty folder.",
  },
  KS4006: {
    title: "bad limit",
    message: "{0} {1}. Limits are size (bytes), instructions (per call), memory (bytes per Lua state) and time (ms per call), each a positive integer.",
  },
} satisfies Record<string, Entry>;

export interface Diagnostic {
  code: string;
  category: "error" | "warning";
  message: string;
  /** Absolute path, when the problem has a place. */
  file?: string;
  /** 1-based. */
  line?: number;
  /** 1-based. */
  column?: number;
  /** Characters the problem spans from line/column (editors underline them). */
  length?: number;
}

export function diagnostic(code: Code, args: readonly (string | number)[], where: Partial<Diagnostic> = {}): Diagnostic {
  const message = CATALOG[code].message.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)] ?? ""));
  return { code, category: "error", message: message.trim(), ...where };
}

/** `file(line,col): error KSnnnn: message`, like tsc, with the path relative to `cwd`. */
export function formatDiagnostic(d: Diagnostic, cwd: string): string {
  let place = "";
  if (d.file) {
    const rel = relativePath(cwd, d.file);
    place = d.line !== undefined ? `${rel}(${d.line},${d.column ?? 1}): ` : `${rel}: `;
  }
  return `${place}${d.category} ${d.code}: ${d.message}`;
}

function relativePath(from: string, to: string): string {
  if (to.startsWith(from.endsWith("/") ? from : from + "/")) return to.slice(from.length).replace(/^\//, "");
  return to;
}

/** Raised for problems that stop a command before any diagnostics can be collected (exit status 2). */
export class UsageError extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}
