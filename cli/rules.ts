/**
 * `kscript rules check FILE` and `kscript rules compile FILE [--json]`. Exit status: 0 ok, 1 diagnostics in the
 * rule file, 2 usage or I/O error (one line on stderr, or the JSON object with --json).
 */
import fs from "node:fs";
import path from "node:path";
import { diagnostic, formatDiagnostic, type Diagnostic } from "../common/diagnostics.js";
import { COUNT_KEY, compileRules, interfaceKey, type RulesResult } from "../rules/index.js";
import { rcuSetScript } from "./rcu-script.js";

export const RULES_USAGE = `usage: kscript rules <command> FILE [--json]

  check FILE               report problems in a forwarding rule file (templates/xdp-forward/README.md)
  compile FILE             print the rcu entries of the rules, as the shell commands that load them
    --name NAME            the loaded hook whose rcu table they go to (default: forward)
    --json                 print {ok, diagnostics, entries, interfaces} instead
`;

/** The xdp-forward template's hook name (its kscript.json), whose rcu table the rules load into. */
const DEFAULT_HOOK = "forward";

export function rulesCommand(args: string[], cwd: string): number {
  if (args.some((a) => a === "-h" || a === "--help")) {
    process.stdout.write(RULES_USAGE);
    return 0;
  }
  const json = args.includes("--json");
  const nameAt = args.indexOf("--name");
  const hook = nameAt >= 0 ? args[nameAt + 1] : DEFAULT_HOOK;
  const rest = args.filter((a, i) => a !== "--json" && (nameAt < 0 || (i !== nameAt && i !== nameAt + 1)));
  const [command, file, ...extra] = rest;
  const usageError = (d: Diagnostic) => {
    if (json) process.stdout.write(JSON.stringify({ ok: false, diagnostics: [d], entries: [], interfaces: [] }) + "\n");
    else process.stderr.write(`kscript: ${formatDiagnostic(d, cwd)}\n`);
    return 2;
  };
  const unknown = hook === undefined || hook.startsWith("-") ? "--name" : rest.find((a) => a.startsWith("-"));
  if ((command !== "check" && command !== "compile") || file === undefined || extra.length > 0 || unknown !== undefined) {
    const problem =
      unknown === "--name" ? "'--name' needs the name of the loaded hook." : unknown !== undefined ? `unknown option '${unknown}'.` : "expected 'rules check FILE' or 'rules compile FILE [--json]'.";
    return usageError(diagnostic("KS4001", [`${problem} Run 'kscript rules --help' for usage.`]));
  }
  const absolute = path.resolve(cwd, file);
  let text: string;
  try {
    text = fs.readFileSync(absolute, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return usageError(diagnostic("KS4002", [absolute, "Give the path of a rule file."]));
    return usageError(diagnostic("KS4001", [`cannot read ${absolute}: ${(error as Error).message}.`]));
  }
  const result = compileRules(text, absolute);
  if (json) process.stdout.write(JSON.stringify({ ok: result.ok, diagnostics: result.diagnostics, entries: result.entries, interfaces: result.interfaces }) + "\n");
  else if (!result.ok) for (const d of result.diagnostics) process.stdout.write(formatDiagnostic(d, cwd) + "\n");
  else if (command === "check") process.stdout.write(summary(result, path.relative(cwd, absolute)) + "\n");
  else process.stdout.write(loadScript(result, path.relative(cwd, absolute), hook!));
  return result.ok ? 0 : 1;
}

function summary(result: RulesResult, file: string): string {
  const n = result.rules.length;
  return `${file}: ${n} rule${n === 1 ? "" : "s"}${n > 0 ? `, output interfaces ${result.interfaces.join(", ")}` : ""}`;
}

/**
 * The entries as a `kscript rcu set` script, in an order that never shows the hook a half-loaded table: the
 * count goes to 0 first (the hook then passes everything) and to its value last, once rules and interfaces are set.
 * Interface names are resolved to ifindexes when the script runs, on the machine that forwards.
 */
function loadScript(result: RulesResult, file: string, hook: string): string {
  const pairs: [string, string][] = [[COUNT_KEY, "0"]];
  for (const { key, value } of result.entries) if (key !== COUNT_KEY) pairs.push([key, `'${value}'`]);
  for (const name of result.interfaces) pairs.push([interfaceKey(name), `"$(cat /sys/class/net/${name}/ifindex)"`]);
  pairs.push([COUNT_KEY, String(result.rules.length)]);
  const comments = [`# ${summary(result, file)}, for the xdp-forward hook '${hook}'. Load as root, with the hook deployed:`, `#   kscript rules compile ${file} | sh`];
  return rcuSetScript(comments, `kscript rcu set ${hook}`, pairs);
}
