/**
 * kscript Lua's `utf8` library. Compiles to the Lua global `utf8`.
 * @module
 */

/** A string of the UTF-8 encodings of the given code points. */
export declare function char(...codepoints: number[]): string;
/** The Lua pattern matching one UTF-8 byte sequence. */
export declare const charpattern: string;
/** The code points of the characters starting between byte positions i and j. */
export declare function codepoint(s: string, i?: number, j?: number): LuaMultiReturn<number[]>;
/** Iterator over (byte position, code point) pairs. */
export declare function codes(s: string): LuaIterable<LuaMultiReturn<[number, number]>>;
/** Number of characters between byte positions i and j, or undefined and the position of an invalid byte. */
export declare function len(s: string, i?: number, j?: number): number | undefined;
/** Byte position where the n-th character (counting from byte i) starts. */
export declare function offset(s: string, n: number, i?: number): number | undefined;
