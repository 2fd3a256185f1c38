/**
 * kscript Lua's `string` library (Lua 5.3 without `string.dump` and without float formats).
 * Compiles to the Lua global `string`. Positions are 1-based, as in Lua.
 * @module
 */

/** The byte values at positions i..j (1-based; negative counts from the end). */
export declare function byte(s: string, i?: number, j?: number): number;
/** A string made of the given byte values (0..255). */
export declare function char(...bytes: number[]): string;
/**
 * Start and end positions of the first match of `pattern` (a Lua pattern unless `plain`) and its captures;
 * all undefined when there is none. Destructure it: `const [start, end] = find(s, "\r\n", 1, true)`.
 */
export declare function find(
  s: string,
  pattern: string,
  init?: number,
  plain?: boolean,
): LuaMultiReturn<[start: number | undefined, end: number | undefined, ...captures: string[]]>;
/** printf-style formatting. Integer and string conversions only: %d %i %u %c %x %X %o %s %q %%. */
export declare function format(fmt: string, ...args: unknown[]): string;
/** Iterator over the matches of a Lua pattern. */
export declare function gmatch(s: string, pattern: string): LuaIterable<string>;
/** Replace matches of a Lua pattern; returns the new string and the number of replacements. */
export declare function gsub(s: string, pattern: string, repl: string | Record<string, string> | ((...captures: string[]) => string | undefined), n?: number): LuaMultiReturn<[string, number]>;
/** Length in bytes. */
export declare function len(s: string): number;
/** Lower-case ASCII letters. */
export declare function lower(s: string): string;
/**
 * The captures of the first match of a Lua pattern (the whole match when it has none); undefined when there
 * is no match. Destructure it: `const [method, target] = match(line, "^(%u+) (%S+)")`.
 */
export declare function match(s: string, pattern: string, init?: number): LuaMultiReturn<(string | undefined)[]>;
/** Binary packing (Lua 5.3 `string.pack`); the float formats f, d and n are rejected. */
export declare function pack(fmt: string, ...values: unknown[]): string;
/** Size of a `pack` format. */
export declare function packsize(fmt: string): number;
/** `s` repeated n times, separated by `sep`. */
export declare function rep(s: string, n: number, sep?: string): string;
/** The bytes of `s` in reverse order. */
export declare function reverse(s: string): string;
/** Substring from i to j (1-based, inclusive; negative counts from the end). */
export declare function sub(s: string, i: number, j?: number): string;
/** Binary unpacking (Lua 5.3 `string.unpack`); the float formats f, d and n are rejected. */
export declare function unpack(fmt: string, s: string, pos?: number): LuaMultiReturn<unknown[]>;
/** Upper-case ASCII letters. */
export declare function upper(s: string): string;
