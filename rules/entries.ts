/**
 * Compiled rules as `rcu` entries for the xdp-forward hook (templates/xdp-forward/src/forward.ts reads them;
 * the format is documented in templates/xdp-forward/README.md):
 *
 * - `fwd:rules` → the number of rules, an integer;
 * - `fwd:1` … `fwd:N` → one rule each, a text record: 23 fields of 4 lower-case hex digits, each followed
 *   by a space, then the output interface name;
 * - `fwd:if:NAME` → the ifindex of interface NAME, an integer set at deploy time (names are resolved on the
 *   machine that forwards, not where rules are compiled).
 *
 * Every field is a 16-bit word so the hook never handles an integer of 32 bits or more (addresses are split
 * in halves), and the records are plain ASCII so `kscript rcu set` can load them from a shell.
 */
import type { ForwardRule, Network } from "./check.js";

export const COUNT_KEY = "fwd:rules";
const ruleKey = (n: number) => `fwd:${n}`;
export const interfaceKey = (name: string) => `fwd:if:${name}`;

/** Field 1 of a record: what a matching rule rewrites. */
const REWRITE = { address: 1, port: 2, toMac: 4, fromMac: 8 } as const;

export interface RcuEntry {
  key: string;
  value: string | number;
}

export interface CompiledRules {
  /** The rule count and the rule records, in the order to load them (the count last). */
  entries: RcuEntry[];
  /** Interfaces the rules send to, each needing `interfaceKey(name)` → its ifindex at deploy time. */
  interfaces: string[];
}

const halves = (v: number) => [Math.floor(v / 0x10000), v % 0x10000];
const network = (n: Network | undefined) => [...halves(n?.value ?? 0), ...halves(n?.mask ?? 0)];
const ports = (range: [number, number] | undefined) => range ?? [0, 65535];
const mac = (m: number[] | undefined) => (m ? [m[0] * 256 + m[1], m[2] * 256 + m[3], m[4] * 256 + m[5]] : [0, 0, 0]);

/**
 * Fields, 0-based: 0 protocol (0 = TCP or UDP); 1 rewrites (REWRITE bits); 2-5 source value and mask;
 * 6-9 destination value and mask; 10-11 source ports first, last; 12-13 destination ports first, last;
 * 14-15 new destination address; 16 new destination port; 17-19 new destination MAC; 20-22 new source MAC.
 */
function ruleRecord(rule: ForwardRule): string {
  const rewrites =
    (rule.toAddress !== undefined ? REWRITE.address : 0) |
    (rule.toPort !== undefined ? REWRITE.port : 0) |
    (rule.toMac ? REWRITE.toMac : 0) |
    (rule.fromMac ? REWRITE.fromMac : 0);
  const fields = [
    rule.protocol ?? 0,
    rewrites,
    ...network(rule.source),
    ...network(rule.destination),
    ...ports(rule.sourcePorts),
    ...ports(rule.destinationPorts),
    ...halves(rule.toAddress ?? 0),
    rule.toPort ?? 0,
    ...mac(rule.toMac),
    ...mac(rule.fromMac),
  ];
  return fields.map((f) => f.toString(16).padStart(4, "0") + " ").join("") + rule.interface;
}

export function compileEntries(rules: readonly ForwardRule[]): CompiledRules {
  return {
    entries: [...rules.map((r, i) => ({ key: ruleKey(i + 1), value: ruleRecord(r) })), { key: COUNT_KEY, value: rules.length }],
    interfaces: [...new Set(rules.map((r) => r.interface))],
  };
}
