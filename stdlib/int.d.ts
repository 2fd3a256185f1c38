/**
 * Integer arithmetic for kscript hooks. kscript numbers are Lua 5.3 64-bit integers: these helpers give
 * the operations that JavaScript would do in floating point.
 * @module
 */

/**
 * Floor division, compiled to Lua's `a // b`: rounds toward negative infinity (`idiv(-7, 2)` is -4).
 * Division by zero raises a Lua error.
 */
export declare function idiv(a: number, b: number): number;

/**
 * Integer power `base ** exponent` for `exponent >= 0`, wrapping around on 64-bit overflow like every
 * other integer operation. A negative exponent raises a Lua error.
 */
export declare function ipow(base: number, exponent: number): number;

/**
 * Arithmetic (sign-filling) shift right of a 64-bit integer: `sar(-8, 1)` is -4. Shift counts of 64 or more
 * give 0 or -1. The `>>` operator compiles to this; `>>>` is Lua's logical shift.
 */
export declare function sar(value: number, count: number): number;
