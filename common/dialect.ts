/**
 * kscript Lua: the one definition of what a hook may touch. The compiler's Lua-level check, the TypeScript
 * level check and the runtime sandbox all read these tables, so the three can never disagree.
 */

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
 * Kernel bindings: each is one Lua global table, one `kscript/<name>` module in `stdlib/`, one emulation in
 * `runtime/` and one C file in `kmod/`. The hook targets that provide it are listed so a hook that uses a
 * binding its target lacks is caught at build time.
 */
export const BINDINGS: Readonly<Record<string, readonly Target[]>> = {
  xdp: ["xdp"],
  xdplua: ["xdp"],
  rcu: ["xdp"],
  data: ["xdp", "tls", "sock"],
};

/** `kscript/<name>` modules that compile to the Lua global `<name>`: the bindings and the trimmed libraries. */
export const GLOBAL_MODULES: readonly string[] = [...Object.keys(BINDINGS), "string", "table", "utf8", "math"];

/** `kscript/<name>` modules whose functions the compiler turns into Lua operators or packaged helpers. */
export const INTRINSIC_MODULES: readonly string[] = ["int"];

/** `kscript/<name>` modules that hold only types (the hook entry signatures). */
export const TYPE_MODULES: readonly string[] = ["hooks"];

export const TARGETS = ["xdp", "tls", "sock"] as const;
export type Target = (typeof TARGETS)[number];

/** What the kernel calls for each hook target (DESIGN.md, "Hook kinds"). */
export const TARGET_ENTRY: Readonly<Record<Target, string>> = {
  tls: "recv",
  sock: "process",
  xdp: "callback",
};

/** Script size budgets in bytes; `tls` has none in the seed, so it is configurable with this default. */
export const SIZE_BUDGET: Readonly<Record<Target | "module", number>> = {
  xdp: 8192,
  sock: 8192,
  tls: 65536,
  module: 65536,
};

/**
 * Per-call limits every backend enforces unless a hook's package asks for others: Lua VM instructions per
 * call into the hook, and bytes of memory per Lua state.
 */
export const DEFAULT_LIMITS = { instructions: 1_000_000, memory: 1 << 20 } as const;

/** Lua names a hook may read as globals, for a given target (undefined: any target's bindings). */
export function allowedGlobals(target?: Target | "module"): Set<string> {
  const names = new Set<string>([...BASE_FUNCTIONS, ...Object.keys(LIBRARIES)]);
  for (const [binding, targets] of Object.entries(BINDINGS)) {
    if (target === undefined || target === "module" || targets.includes(target)) names.add(binding);
  }
  return names;
}

export function isTarget(value: string): value is Target {
  return (TARGETS as readonly string[]).includes(value);
}
