/**
 * The zone the template serves (example.test.zone) as the hook's rcu entries, compiled as `kscript dns
 * compile` does (README "The zone in rcu"), and entries made by hand for the tests.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { compileZone, entryKey, entryValue } from "kscript/zone";

export const ZONE_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "example.test.zone");

/** The zone's rcu entries: [key, value], bytes as characters. */
export function zoneEntries(): [key: string, value: string][] {
  const result = compileZone(fs.readFileSync(ZONE_FILE, "utf8"), ZONE_FILE);
  if (!result.ok) throw new Error(result.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`).join("\n"));
  return result.entries.map((e) => [e.key, e.value]);
}

/** The rcu key of a name and type. */
export const key = (name: string, type: number) => entryKey(name, type).toString("latin1");

/** An rcu value: the records of `addresses` (wire bytes) with `ttl`, expiring at `expires` (0: a zone entry). */
export const value = (type: number, ttl: number, addresses: Uint8Array[], expires = 0) => entryValue(type, ttl, addresses, expires).toString("latin1");
