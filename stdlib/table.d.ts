/**
 * kscript Lua's `table` library. Compiles to the Lua global `table`. Indices are 1-based, as in Lua.
 * @module
 */

/** Concatenate the string or integer elements i..j with `sep`. */
export declare function concat(list: readonly (string | number)[], sep?: string, i?: number, j?: number): string;
/** Append `value`, or insert it at 1-based position `pos`. */
export declare function insert<T>(list: T[], value: T): void;
export declare function insert<T>(list: T[], pos: number, value: T): void;
/** Move elements a1..e of a1 to position t of a2 (default: a1). */
export declare function move<T>(a1: T[], f: number, e: number, t: number, a2?: T[]): T[];
/** A table of the arguments with field n = their count. */
export declare function pack<T>(...args: T[]): T[] & { n: number };
/** Remove and return the element at 1-based `pos` (default: the last). */
export declare function remove<T>(list: T[], pos?: number): T | undefined;
/** Sort in place; `comp(a, b)` returns true when a must come before b. */
export declare function sort<T>(list: T[], comp?: (a: T, b: T) => boolean): void;
/** The elements i..j as multiple values. */
export declare function unpack<T extends unknown[]>(list: T, i?: number, j?: number): LuaMultiReturn<T>;
