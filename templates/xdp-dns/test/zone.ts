/**
 * The zone the template serves, and its rcu entries (README "The zone in rcu"): key `<name>/<type>`, value
 * `<ttl> 0 <address> …` (0: never expires, answered as authoritative). The tests load it into the
 * emulator's rcu; `kscript rcu set KEY VALUE` loads each entry into the kernel's.
 */
import { formatIp, ipv4, ipv6 } from "kscript/testing";

export interface Zone {
  /** TTL of every answer, in seconds. */
  ttl: number;
  /** Lowercase names without the final dot, to their addresses. */
  names: Record<string, { A?: string[]; AAAA?: string[] }>;
}

export const zone: Zone = {
  ttl: 300,
  names: {
    "example.test": { A: ["192.0.2.10"], AAAA: ["2001:db8::10"] },
    "www.example.test": { A: ["192.0.2.11", "192.0.2.12"] },
    "v6.example.test": { AAAA: ["2001:db8:0:1::6", "2001:db8:0:1::7"] },
  },
};

/** An IPv6 address as the hook reads it: eight hex groups, no "::". */
function fullIpv6(text: string): string {
  const b = ipv6(text);
  return Array.from({ length: 8 }, (_, i) => ((b[2 * i] << 8) | b[2 * i + 1]).toString(16)).join(":");
}

/** The rcu entries of `z`, addresses written the way the hook reads them (a malformed IPv4 address throws). */
export function zoneEntries(z: Zone = zone): [key: string, value: string][] {
  const entry = (name: string, type: number, addresses: string[]): [string, string] => [`${name}/${type}`, `${z.ttl} 0 ${addresses.join(" ")}`];
  return Object.entries(z.names).flatMap(([name, { A = [], AAAA = [] }]) => [
    ...(A.length > 0 ? [entry(name, 1, A.map((a) => formatIp(ipv4(a))))] : []),
    ...(AAAA.length > 0 ? [entry(name, 28, AAAA.map(fullIpv6))] : []),
  ]);
}
