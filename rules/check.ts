/**
 * The semantic check of parsed rules: every value is valid for its option, each option appears once, ports
 * come with a protocol, and each rule has exactly one output interface. Interface names are only checked for
 * form: which interfaces exist is known where the rules are deployed, not where they are compiled.
 */
import type { IToken } from "chevrotain";
import { diagnostic, type Code, type Diagnostic } from "../common/diagnostics.js";
import type { OptionName } from "./lexer.js";
import { at, type ParsedRule } from "./parser.js";

export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

/** Addresses are unsigned 32-bit numbers; a network matches when `(address & mask) === value`. */
export interface Network {
  value: number;
  mask: number;
}

export interface ForwardRule {
  /** 1-based line in the rule file. */
  line: number;
  /** IPPROTO_TCP or IPPROTO_UDP; undefined matches both. */
  protocol?: number;
  source?: Network;
  destination?: Network;
  /** Inclusive port ranges. */
  sourcePorts?: [number, number];
  destinationPorts?: [number, number];
  toAddress?: number;
  toPort?: number;
  /** New Ethernet destination (the next hop) and source (the output interface), 6 bytes each. */
  toMac?: number[];
  fromMac?: number[];
  /** Output interface name, resolved to an ifindex at deploy time. */
  interface: string;
}

/** Most rules a file may hold: the hook scans them in order for every packet, within its instruction budget. */
export const MAX_RULES = 256;

const MAX_IFNAME = 15;

/** A value problem at `offset` characters into the value token. */
class Invalid {
  constructor(
    readonly code: Code,
    readonly args: (string | number)[],
    readonly offset = 0,
  ) {}
}

function octets(text: string): number | Invalid {
  const parts = text.split(".");
  if (parts.length !== 4) return new Invalid("KS5003", [text, `it has ${parts.length} part${parts.length === 1 ? "" : "s"}, not 4`]);
  let value = 0;
  let offset = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return new Invalid("KS5003", [text, `'${part}' is not a number 0-255`], offset);
    // 010 is octal to inet_aton but decimal to most readers; refuse to guess.
    if (part.length > 1 && part.startsWith("0")) return new Invalid("KS5003", [text, `'${part}' has a leading zero`], offset);
    if (Number(part) > 255) return new Invalid("KS5003", [text, `${part} is over 255`], offset);
    value = value * 256 + Number(part);
    offset += part.length + 1;
  }
  return value;
}

const formatAddress = (a: number) => [24, 16, 8, 0].map((s) => Math.floor(a / 2 ** s) % 256).join(".");

function network(text: string): Network | Invalid {
  const slash = text.indexOf("/");
  const address = octets(slash < 0 ? text : text.slice(0, slash));
  if (address instanceof Invalid) return address;
  if (slash < 0) return { value: address, mask: 0xffffffff };
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,2}$/.test(prefixText) || Number(prefixText) > 32) return new Invalid("KS5004", [prefixText], slash + 1);
  const prefix = Number(prefixText);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const value = (address & mask) >>> 0;
  if (value !== address) return new Invalid("KS5005", [text, `${prefix} bit${prefix === 1 ? "" : "s"}`, `${formatAddress(value)}/${prefix}`]);
  return { value, mask };
}

function port(text: string, offset = 0): number | Invalid {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) return new Invalid("KS5006", [text, "e.g. 53"], offset);
  return Number(text);
}

function portRange(text: string): [number, number] | Invalid {
  const colon = text.indexOf(":");
  if (colon < 0) {
    const p = port(text);
    return p instanceof Invalid ? p : [p, p];
  }
  if (colon === 0 || colon === text.length - 1) return new Invalid("KS5006", [text, "and a range needs both ends, e.g. 1024:65535"]);
  const first = port(text.slice(0, colon));
  if (first instanceof Invalid) return first;
  const last = port(text.slice(colon + 1), colon + 1);
  if (last instanceof Invalid) return last;
  if (first > last) return new Invalid("KS5007", [text, `${last}:${first}`]);
  return [first, last];
}

function macAddress(text: string): number[] | Invalid {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(text)) return new Invalid("KS5014", [text]);
  return text.split(":").map((h) => parseInt(h, 16));
}

function interfaceName(text: string): string | Invalid {
  if (text.length > MAX_IFNAME) return new Invalid("KS5013", [text, `it is ${text.length} characters long`]);
  const bad = text.search(/[^A-Za-z0-9_.-]/);
  if (bad >= 0) return new Invalid("KS5013", [text, `'${text[bad]}' is not allowed`], bad);
  if (text === "." || text === "..") return new Invalid("KS5013", [text, "Linux reserves it"]);
  return text;
}

interface Destination {
  address?: number;
  port?: number;
}

/** `ADDRESS`, `ADDRESS:PORT` or `:PORT`, as iptables' DNAT writes it. */
function newDestination(text: string): Destination | Invalid {
  const colon = text.indexOf(":");
  const addressText = colon < 0 ? text : text.slice(0, colon);
  const portText = colon < 0 ? "" : text.slice(colon + 1);
  if (addressText === "" && portText === "") return new Invalid("KS5016", [text]);
  const result: Destination = {};
  if (addressText !== "") {
    const a = octets(addressText);
    if (a instanceof Invalid) return a;
    result.address = a;
  }
  if (colon >= 0) {
    const p = port(portText, colon + 1);
    if (p instanceof Invalid) return p;
    // A match may name port 0; a rewrite to it makes packets nobody can receive (iptables refuses it too).
    if (p === 0) return new Invalid("KS5018", [text], colon + 1);
    result.port = p;
  }
  return result;
}

export interface CheckResult {
  rules: ForwardRule[];
  diagnostics: Diagnostic[];
}

/** Checks parsed rules in order; a rule with any problem is left out of `rules`. */
export function checkRules(parsed: readonly ParsedRule[], file: string): CheckResult {
  const result: CheckResult = { rules: [], diagnostics: [] };
  parsed.forEach((p, index) => {
    if (index === MAX_RULES) result.diagnostics.push(diagnostic("KS5017", [index + 1, MAX_RULES], at(p.start, file)));
    const before = result.diagnostics.length;
    const rule = checkRule(p, file, result.diagnostics);
    if (result.diagnostics.length === before) result.rules.push(rule);
  });
  return result;
}

function checkRule(p: ParsedRule, file: string, diagnostics: Diagnostic[]): ForwardRule {
  const report = (token: IToken, invalid: Invalid) => diagnostics.push(diagnostic(invalid.code, invalid.args, at(token, file, invalid.offset)));
  const valid = <T>(token: IToken, value: T | Invalid): value is T => {
    if (value instanceof Invalid) report(token, value);
    return !(value instanceof Invalid);
  };
  const rule: ForwardRule = { line: p.line, interface: "" };
  let interfaceToken: IToken | undefined;
  const setInterface = (token: IToken) => {
    if (interfaceToken) {
      diagnostics.push(diagnostic("KS5012", [token.image, interfaceToken.image, interfaceToken.startColumn!], at(token, file)));
      return;
    }
    interfaceToken = token;
    const name = interfaceName(token.image);
    if (valid(token, name)) rule.interface = name;
  };
  const seen = new Map<OptionName, IToken>();
  const portOptions: IToken[] = [];

  for (const { spec, flag, value } of p.options) {
    const first = seen.get(spec.name);
    if (first) {
      diagnostics.push(diagnostic("KS5011", [flag.image, first.image, first.startColumn!], at(flag, file)));
      continue;
    }
    seen.set(spec.name, flag);
    const text = value.image;
    switch (spec.name) {
      case "protocol": {
        const protocol = { udp: IPPROTO_UDP, tcp: IPPROTO_TCP }[text.toLowerCase()];
        if (protocol === undefined) diagnostics.push(diagnostic("KS5008", [text], at(value, file)));
        else rule.protocol = protocol;
        break;
      }
      case "source":
      case "destination": {
        const net = network(text);
        if (valid(value, net)) rule[spec.name] = net;
        break;
      }
      case "sport":
      case "dport": {
        portOptions.push(flag);
        const range = portRange(text);
        if (valid(value, range)) rule[spec.name === "sport" ? "sourcePorts" : "destinationPorts"] = range;
        break;
      }
      case "to-destination": {
        const dest = newDestination(text);
        if (!valid(value, dest)) break;
        if (dest.port !== undefined) portOptions.push(flag);
        rule.toAddress = dest.address;
        rule.toPort = dest.port;
        break;
      }
      case "to-mac":
      case "from-mac": {
        const mac = macAddress(text);
        if (!valid(value, mac)) break;
        // The group bit is the low bit of the first byte.
        if (spec.name === "from-mac" && mac[0] % 2 === 1) diagnostics.push(diagnostic("KS5015", [text], at(value, file)));
        else rule[spec.name === "to-mac" ? "toMac" : "fromMac"] = mac;
        break;
      }
      case "out-interface":
        setInterface(value);
        break;
    }
  }
  for (const word of p.words) setInterface(word);

  if (!seen.has("protocol")) {
    for (const flag of portOptions) {
      diagnostics.push(diagnostic("KS5009", [flag.image, flag.image === "--to-destination" ? "rewrites" : "matches"], at(flag, file)));
    }
  }
  if (!interfaceToken) diagnostics.push(diagnostic("KS5010", [], at(p.start, file)));
  return rule;
}
