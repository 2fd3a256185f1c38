/**
 * The commands that only talk to kscript.ko through /dev/kscript: ls, stats, unload, rcu. Light to start (the
 * device client and nothing else): bin/kscript.js runs them without loading the rest of the CLI, since under
 * qemu's TCG every module a command loads costs its user a noticeable wait.
 */
import { RCU_LIMITS, type Limits } from "../common/dialect.js";
import { UsageError, diagnostic } from "../common/diagnostics.js";
import * as kernel from "../device/index.js";
import { KscriptError } from "../device/index.js";

export function withDevice<T>(action: (fd: number) => T): T {
  const fd = kernel.openDevice();
  try {
    return action(fd);
  } finally {
    kernel.closeDevice(fd);
  }
}

export function unload(name: string): string {
  withDevice((fd) => kernel.unload(fd, name));
  return `unloaded '${name}'`;
}

export function ls(): string {
  const scripts = withDevice((fd) => kernel.list(fd));
  if (scripts.length === 0) return "no scripts loaded";
  const rows = [
    ["NAME", "TARGET", "ENTRY", "SIZE", ...LIMIT_HEADINGS, "XDP ON"],
    ...scripts.map((s) => [s.name, s.target, s.entry, String(s.size), ...limitCells(s.limits), s.interfaces.join(",") || "-"]),
  ];
  return table(rows);
}

export function stats(name: string | undefined): string {
  return withDevice((fd) => {
    const names = name ? [name] : kernel.list(fd).map((s) => s.name);
    if (names.length === 0) return "no scripts loaded";
    const rows = [["NAME", "CALLS", "ERRORS", "BUDGET", "MEMORY-CAP", "STATES", "BYTES", ...LIMIT_HEADINGS, "LAST ERROR"]];
    for (const n of names) {
      const s = kernel.stats(fd, n);
      rows.push([
        n,
        String(s.calls),
        String(s.errors),
        String(s.budgetHits),
        String(s.memoryHits),
        String(s.states),
        String(s.memory),
        ...limitCells(s.limits),
        s.lastError ?? "-",
      ]);
    }
    return table(rows);
  });
}

/**
 * `kscript rcu get NAME KEY` / `set NAME KEY VALUE [KEY VALUE…]` / `del NAME KEY`: the rcu table of the loaded
 * script NAME (integers are sent as integers, everything else as strings). With `hex`, KEYs and VALUEs are
 * strings of bytes written in hex, and `get` prints the value's bytes so. `set` writes its pairs in the order
 * given, through one open device (a compiled zone or rule set is one command, not one process per entry);
 * every pair is parsed before the first is written. Undefined: not one of these forms.
 */
export function rcu(args: readonly string[], hex = false): string | undefined {
  const [op, name, key, value, ...extra] = args;
  const parse = (s: string, role: "key" | "value" = "key"): bigint | string | Uint8Array => {
    if (!hex && /^-?\d+$/.test(s)) return BigInt(s);
    if (hex && !/^([0-9a-fA-F]{2})+$/.test(s)) {
      throw new UsageError(diagnostic("KS4001", [`'${s}' is not bytes in hex: with --hex, write each byte as two hex digits, e.g. 076578616d706c65.`]));
    }
    // The table's own limits, checked here so that a refused pair leaves the table as it was.
    const bytes = hex ? s.length / 2 : Buffer.byteLength(s);
    const [least, most] = role === "key" ? [1, RCU_LIMITS.keyBytes] : [0, RCU_LIMITS.valueBytes];
    if (bytes < least || bytes > most) {
      const short = s.length > 40 ? `${s.slice(0, 40)}…` : s;
      throw new UsageError(diagnostic("KS4001", [`the ${role} '${short}' is ${bytes} bytes: rcu ${role}s are strings of ${least}..${most} bytes${role === "key" ? " or integers" : ""}.`]));
    }
    return hex ? Buffer.from(s, "hex") : s;
  };
  if (op === "get" && name !== undefined && key !== undefined && value === undefined) {
    const k = parse(key);
    const v = withDevice((fd) => kernel.rcuGet(fd, name, k));
    if (v === null) return "nil";
    if (v instanceof Uint8Array) return Buffer.from(v).toString(hex ? "hex" : "utf8");
    return String(v);
  }
  if (op === "set" && name !== undefined && key !== undefined && value !== undefined && extra.length % 2 === 0) {
    const texts = [key, value, ...extra];
    const pairs: { key: string; value: string; k: ReturnType<typeof parse>; v: ReturnType<typeof parse> }[] = [];
    for (let i = 0; i < texts.length; i += 2) pairs.push({ key: texts[i], value: texts[i + 1], k: parse(texts[i]), v: parse(texts[i + 1], "value") });
    withDevice((fd) =>
      pairs.forEach((p, i) => {
        try {
          kernel.rcuSet(fd, name, p.k, p.v);
        } catch (error) {
          if (!(error instanceof KscriptError) || pairs.length === 1) throw error;
          throw new KscriptError(`${error.message} (at rcu[${p.key}]: the ${i} pair${i === 1 ? "" : "s"} before it were set, the ${pairs.length - i - 1} after it were not)`, error.code);
        }
      }),
    );
    return pairs.map((p) => `${name}: rcu[${p.key}] = ${p.value}`).join("\n");
  }
  if (op === "del" && name !== undefined && key !== undefined && value === undefined) {
    const k = parse(key);
    withDevice((fd) => kernel.rcuSet(fd, name, k, null));
    return `${name}: rcu[${key}] = nil`;
  }
  return undefined;
}

/** Each script's limits as the module applies them: instructions and wall time per call, memory per state. */
const LIMIT_HEADINGS = ["INSNS", "MEM-LIMIT", "TIME-MS"];

function limitCells(l: Limits): string[] {
  return [String(l.instructions), String(l.memory), String(l.time)];
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join("  ")).join("\n");
}

/** The device commands and their positional arguments [min, max] (main.ts parses them with the same). */
export const DEVICE_COMMANDS = { ls: [0, 0], stats: [0, 1], unload: [1, 1], rcu: [3, Infinity] } as const satisfies Record<string, [number, number]>;
export type DeviceCommand = keyof typeof DEVICE_COMMANDS;

export const RCU_USAGE = "usage: kscript rcu get NAME KEY | rcu set NAME KEY VALUE [KEY VALUE…] | rcu del NAME KEY [--hex].";

/**
 * Runs a device command: its output on stdout and 0, or the kernel's refusal in one line and 1. Undefined
 * when the arguments do not fit (main.ts then says what is wrong).
 */
export function runDeviceCommand(command: DeviceCommand, args: readonly string[], hex = false): number | undefined {
  let output: string | undefined;
  try {
    output = command === "ls" ? ls() : command === "stats" ? stats(args[0]) : command === "unload" ? unload(args[0]) : rcu(args, hex);
  } catch (error) {
    if (!(error instanceof KscriptError)) throw error;
    process.stderr.write(`kscript: ${error.message}\n`);
    return 1;
  }
  if (output === undefined) return undefined;
  process.stdout.write(output + "\n");
  return 0;
}

/**
 * The quick path of bin/kscript.js: a device command with plain arguments (and rcu's --hex, which a compiled
 * zone's load script passes), else undefined (the full CLI).
 */
export function quickMain(argv: readonly string[]): number | undefined {
  const [command, ...rest] = argv;
  if (!Object.hasOwn(DEVICE_COMMANDS, command)) return undefined;
  const hex = command === "rcu" && rest.includes("--hex");
  const args = hex ? rest.filter((a) => a !== "--hex") : rest;
  const [min, max] = DEVICE_COMMANDS[command as DeviceCommand];
  if (args.length < min || args.length > max || args.some((a) => a.startsWith("-"))) return undefined;
  return runDeviceCommand(command as DeviceCommand, args, hex);
}
