/**
 * kscript Lua: the one definition of what a hook may touch, what it may spend, and how user space talks to
 * the module about it. The compiler's checks, the runtime sandbox, the device client and (through the
 * headers `npm run generate` writes into kmod/generated/) the kernel module all read these tables, so none
 * of them can disagree. This file imports nothing: the VM's guest build compiles it on its own.
 */

export const TARGETS = ["xdp", "tls", "sock"] as const;
export type Target = (typeof TARGETS)[number];

/** The dialect's integers: Lua 5.3's 64-bit lua_Integer. */
export const INT64_MIN = -(1n << 63n);
export const INT64_MAX = (1n << 63n) - 1n;

/**
 * Lua facilities a hook must never reach, whatever a TypeScript declaration says (file, process, module
 * loading, bytecode, debug access and the environment itself). None is in the allowlist below; this list
 * names them so the TypeScript-level check can say why.
 */
export const FORBIDDEN_GLOBALS: readonly string[] = [
  "io",
  "os",
  "debug",
  "package",
  "require",
  "load",
  "loadstring",
  "dofile",
  "loadfile",
  "_G",
  "_ENV",
  "getfenv",
  "setfenv",
  "collectgarbage",
  "module",
];

/** Members of JavaScript's `Math` that stay integer and compile onto the trimmed `math` (plus Math.floor(a / b)). */
export const JS_MATH_MEMBERS: readonly string[] = ["abs", "max", "min"];

/** Base functions a hook may call. `load`, `dofile`, `loadfile`, `require`, `collectgarbage` are absent. */
export const BASE_FUNCTIONS: readonly string[] = [
  "assert",
  "error",
  "getmetatable",
  "ipairs",
  "next",
  "pairs",
  "pcall",
  "print",
  "rawequal",
  "rawget",
  "rawlen",
  "rawset",
  "select",
  "setmetatable",
  "tonumber",
  "tostring",
  "type",
  "xpcall",
];

/** Standard library tables and the members each keeps in the dialect. */
export const LIBRARIES: Readonly<Record<string, readonly string[]>> = {
  string: [
    "byte",
    "char",
    "find",
    "format",
    "gmatch",
    "gsub",
    "len",
    "lower",
    "match",
    "pack",
    "packsize",
    "rep",
    "reverse",
    "sub",
    "unpack",
    "upper",
  ],
  table: ["concat", "insert", "move", "pack", "remove", "sort", "unpack"],
  utf8: ["char", "charpattern", "codepoint", "codes", "len", "offset"],
  coroutine: ["create", "isyieldable", "resume", "running", "status", "wrap", "yield"],
  math: ["abs", "max", "min", "tointeger", "ult", "maxinteger", "mininteger", "type"],
};

/**
 * XDP verdicts by name, as the kernel numbers them (uapi XDP_*; kmod checks them at build time). `abort`
 * is XDPLua's spelling of `aborted`.
 */
export const XDP_ACTIONS = { aborted: 0, abort: 0, drop: 1, pass: 2, tx: 3, redirect: 4 } as const;

export interface Binding {
  /** The hook targets whose states have it. */
  readonly targets: readonly Target[];
  /** Its members; a member table's own members as `table.member`. */
  readonly members: readonly string[];
}

/**
 * Kernel bindings: each is one Lua global table, one `kscript/<name>` module in `stdlib/`, one emulation in
 * `runtime/` and one C file in `kmod/` (its `kscript_<name>_open`). The targets that provide it are listed
 * so a hook that uses a binding its target lacks is caught at build time.
 */
export const BINDINGS: Readonly<Record<string, Binding>> = {
  xdp: { targets: ["xdp"], members: ["action", ...Object.keys(XDP_ACTIONS).map((a) => `action.${a}`), "redirect"] },
  xdplua: { targets: ["xdp"], members: ["udp_reply"] },
  rcu: { targets: ["xdp"], members: ["get", "set"] },
  data: { targets: ["xdp", "tls", "sock"], members: ["layout", "new"] },
  time: { targets: ["xdp", "tls", "sock"], members: ["ns", "seconds"] },
};

/** What one `rcu` table holds: keys are integers or strings of 1..keyBytes bytes, string values at most valueBytes. */
export const RCU_LIMITS = { keyBytes: 255, valueBytes: 4096, entries: 4096 } as const;

/** `kscript/<name>` modules that compile to the Lua global `<name>`: the bindings and the trimmed libraries. */
export const GLOBAL_MODULES: readonly string[] = [...Object.keys(BINDINGS), "string", "table", "utf8", "math"];

/** `kscript/<name>` modules whose functions the compiler turns into Lua operators or packaged helpers. */
export const INTRINSIC_MODULES: readonly string[] = ["int"];

/** `kscript/<name>` modules that hold only types (the hook entry signatures). */
export const TYPE_MODULES: readonly string[] = ["hooks"];

/** What the kernel calls for each hook target. */
export const TARGET_ENTRY: Readonly<Record<Target, string>> = {
  tls: "recv",
  sock: "process",
  xdp: "callback",
};

/** Script size budgets in bytes (XDPLua's and the ULP's 8192); the original kTLS hook had none, so `tls` gets a generous one. */
export const SIZE_BUDGET: Readonly<Record<Target | "module", number>> = {
  xdp: 8192,
  sock: 8192,
  tls: 65536,
  module: 65536,
};

/**
 * What one call into a hook may spend: Lua VM instructions per call, bytes of memory per Lua state, and
 * wall-clock milliseconds per call. The instruction count is exact on every backend; wall time is the
 * kernel's backstop for C work an instruction does (the emulator, which runs at its own speed, leaves it out).
 */
export interface Limits {
  instructions: number;
  memory: number;
  time: number;
}

/** The limits of a hook whose package asks for none: the emulator's and the kernel's. */
export const DEFAULT_LIMITS: Readonly<Limits> = { instructions: 1_000_000, memory: 1 << 20, time: 1000 };

/**
 * The most a package may ask for: the defaults of kscript.ko's module parameters insn_limit, mem_limit and
 * time_limit_ms, which an administrator may change (a load asking for more is refused, not clamped).
 */
export const KERNEL_CEILINGS: Readonly<Limits> = { instructions: 10_000_000, memory: 4 << 20, time: 1000 };

/**
 * The most an xdp package may ask for, whatever the module parameters say. An xdp call runs in softirq with
 * bottom halves off: while it runs, that CPU takes no other packet, timer or RCU callback. Instructions are
 * what bound it (C loops are charged to them too): 1M is about 5-10 ms of CPU natively. Wall time is only
 * the backstop, no more generous than the default: under emulation (qemu TCG on a busy host) a call's wall
 * time says little about the CPU it holds, so a tighter one would fail honest calls there.
 */
export const XDP_CEILINGS: Readonly<Pick<Limits, "instructions" | "time">> = { instructions: 1_000_000, time: 1000 };

/**
 * /dev/kscript's framing (kmod/README.md documents the payloads): a 16-byte header (magic, version, op,
 * status, payload length; little-endian) and typed values. The version changes whenever a payload does;
 * client and module refuse each other's other versions.
 */
export const WIRE = {
  magic: 0x5243534b, // "KSCR"
  version: 3,
  headerSize: 16,
  /** Largest payload the module accepts in one write. */
  requestMax: 128 * 1024,
  ops: {
    load: 1,
    unload: 2,
    list: 3,
    stats: 4,
    rcuGet: 5,
    rcuSet: 6,
    run: 7,
    xdpAttach: 8,
    xdpDetach: 9,
  },
  valueTypes: { nil: 0, bool: 1, int: 2, str: 3 },
} as const;

/** Lua names a hook may read as globals, for a given target (undefined: any target's bindings). */
export function allowedGlobals(target?: Target | "module"): Set<string> {
  const names = new Set<string>([...BASE_FUNCTIONS, ...Object.keys(LIBRARIES)]);
  for (const [binding, { targets }] of Object.entries(BINDINGS)) {
    if (target === undefined || target === "module" || targets.includes(target)) names.add(binding);
  }
  return names;
}

export function isTarget(value: string): value is Target {
  return (TARGETS as readonly string[]).includes(value);
}

/**
 * Every name a hook of `target` sees in its global environment, sorted: the globals, and `table.member` for
 * each library and binding member (one level down, two for a binding's member tables such as xdp.action).
 */
export function environment(target: Target): string[] {
  const names = [...BASE_FUNCTIONS];
  for (const [lib, members] of Object.entries(LIBRARIES)) names.push(lib, ...members.map((m) => `${lib}.${m}`));
  for (const [name, b] of Object.entries(BINDINGS)) {
    if (b.targets.includes(target)) names.push(name, ...b.members.map((m) => `${name}.${m}`));
  }
  return names.sort();
}
