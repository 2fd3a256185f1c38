/**
 * kscript Lua's trimmed `math` library: the integer functions only. Compiles to the Lua global `math`.
 * @module
 */

/** The largest integer, 2^63 - 1. */
export declare const maxinteger: number;
/** The smallest integer, -2^63. */
export declare const mininteger: number;
/** Absolute value (`abs(mininteger)` is mininteger, as in Lua). */
export declare function abs(x: number): number;
/** The largest argument. */
export declare function max(x: number, ...rest: number[]): number;
/** The smallest argument. */
export declare function min(x: number, ...rest: number[]): number;
/** `x` if it is an integer (or a string holding one), else undefined. */
export declare function tointeger(x: unknown): number | undefined;
/** Unsigned comparison `a < b`, treating both as 64-bit unsigned integers. */
export declare function ult(a: number, b: number): boolean;
/** "integer" for integers, undefined for anything that is not a number. */
export declare function type(x: unknown): "integer" | "float" | undefined;
