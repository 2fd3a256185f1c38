/**
 * `kscript dns check ZONEFILE` and `kscript dns compile ZONEFILE [--name HOOK] [--json]`: a DNS zone file
 * (RFC 1035 master-file syntax) as the xdp-dns hook's rcu entries. Exit status: 0 ok, 1 diagnostics in the
 * zone file, 2 usage or I/O error (one line on stderr, or the JSON object with --json).
 */
import fs from "node:fs";
import path from "node:path";
import { diagnostic, formatDiagnostic, type Diagnostic } from "../common/diagnostics.js";
import { compileZone, type ZoneResult } from "../zone/index.js";
import { rcuSetScript } from "./rcu-script.js";

export const DNS_USAGE = `usage: kscript dns <command> ZONEFILE [--json]

  check ZONEFILE           report problems in a zone file ($ORIGIN, $TTL, A and AAAA records; SOA and NS checked)
  compile ZONEFILE         print the xdp-dns hook's rcu entries for the zone, as the shell commands that load them
    --name NAME            the loaded hook whose rcu table they go to (default: dns)
    --json                 print {ok, diagnostics, entries} instead (keys and values in hex)
`;

/** The xdp-dns template's hook name (its kscript.json). */
const DEFAULT_HOOK = "dns";

const hex = (bytes: string) => Buffer.from(bytes, "latin1").toString("hex");
const typeName = (type: number) => (type === 1 ? "A" : "AAAA");

export function dnsCommand(args: string[], cwd: string): number {
  if (args.some((a) => a === "-h" || a === "--help")) {
    process.stdout.write(DNS_USAGE);
    return 0;
  }
  const json = args.includes("--json");
  const nameAt = args.indexOf("--name");
  const hook = nameAt >= 0 ? args[nameAt + 1] : DEFAULT_HOOK;
  const rest = args.filter((a, i) => a !== "--json" && (nameAt < 0 || (i !== nameAt && i !== nameAt + 1)));
  const [command, file, ...extra] = rest;
  const usageError = (d: Diagnostic) => {
    if (json) process.stdout.write(JSON.stringify({ ok: false, diagnostics: [d], entries: [] }) + "\n");
    else process.stderr.write(`kscript: ${formatDiagnostic(d, cwd)}\n`);
    return 2;
  };
  const unknown = hook === undefined || hook.startsWith("-") ? "--name" : rest.find((a) => a.startsWith("-"));
  if ((command !== "check" && command !== "compile") || file === undefined || extra.length > 0 || unknown !== undefined) {
    const problem =
      unknown === "--name" ? "'--name' needs the name of the loaded hook." : unknown !== undefined ? `unknown option '${unknown}'.` : "expected 'dns check ZONEFILE' or 'dns compile ZONEFILE [--json]'.";
    return usageError(diagnostic("KS4001", [`${problem} Run 'kscript dns --help' for usage.`]));
  }
  const absolute = path.resolve(cwd, file);
  let text: string;
  try {
    text = fs.readFileSync(absolute, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return usageError(diagnostic("KS4002", [absolute, "Give the path of a zone file."]));
    return usageError(diagnostic("KS4001", [`cannot read ${absolute}: ${(error as Error).message}.`]));
  }
  const result = compileZone(text, absolute);
  if (json) {
    const entries = result.entries.map((e) => ({ ...e, key: hex(e.key), value: hex(e.value) }));
    process.stdout.write(JSON.stringify({ ok: result.ok, diagnostics: result.diagnostics, entries }) + "\n");
  } else if (!result.ok) for (const d of result.diagnostics) process.stdout.write(formatDiagnostic(d, cwd) + "\n");
  else if (command === "check") process.stdout.write(summary(result, path.relative(cwd, absolute)) + "\n");
  else process.stdout.write(loadScript(result, path.relative(cwd, absolute), hook!));
  return result.ok ? 0 : 1;
}

function summary(result: ZoneResult, file: string): string {
  const count = (type: number) => result.entries.filter((e) => e.type === type).length;
  const names = new Set(result.entries.map((e) => e.name)).size;
  return `${file}: ${names} name${names === 1 ? "" : "s"}, ${count(1)} A and ${count(28)} AAAA entries` + (result.skipped > 0 ? ` (${result.skipped} SOA/NS records checked, not served)` : "");
}

/** The entries as a `kscript rcu set --hex` script, after a comment line per entry saying what it holds, in order. */
function loadScript(result: ZoneResult, file: string, hook: string): string {
  const comments = [`# ${summary(result, file)}, for the xdp-dns hook '${hook}'. Load as root, with the hook deployed:`, `#   kscript dns compile ${file} | sh`];
  for (const e of result.entries) comments.push(`# ${e.name} ${e.ttl} IN ${typeName(e.type)} ${e.addresses.join(" ")}`);
  return rcuSetScript(comments, `kscript rcu set --hex ${hook}`, result.entries.map((e) => [hex(e.key), hex(e.value)]));
}
