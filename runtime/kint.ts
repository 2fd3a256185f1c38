/**
 * 64-bit integers for Fengari. A Lua integer is held in one canonical form: a JS number while it fits 32
 * bits (Fengari's own fast path, unchanged), a BigInt otherwise, never both for one value. Canonical forms
 * make `===`, Map keys (table keys) and `<` between two integers exact without conversions. The patched
 * Fengari (fengari64.ts) calls these wherever an integer result is made; each computes what C Lua 5.3 with
 * a 64-bit lua_Integer computes, wrapping like C's unsigned arithmetic.
 */

/** A Lua integer as the emulator holds it. */
export type Int = number | bigint;

/** Why a call stopped for a reason the kernel shares with a different mechanism. */
export type FaultKind = "memory" | "stack";

/** Thrown from inside Fengari; the engine turns it into a Lua error and remembers it (see engine.ts). */
export class EmulatorFault extends Error {
  constructor(
    readonly kind: FaultKind,
    message: string,
  ) {
    super(message);
  }
}

export const MAXINTEGER = 2n ** 63n - 1n;
export const MININTEGER = -(2n ** 63n);

/** The canonical form of a value already known to be in int64 range. */
function canon(v: bigint): Int {
  return v >= -2147483648n && v <= 2147483647n ? Number(v) : v;
}

/** `v` wrapped to 64 bits like a C cast, in canonical form. */
export function wrap(v: bigint): Int {
  return canon(BigInt.asIntN(64, v));
}

/** A safe-integer double (a byte-built value, a length) as a Lua integer. */
export function int(v: number): Int {
  return (v | 0) === v ? v : BigInt(v);
}

export function big(v: Int): bigint {
  return typeof v === "bigint" ? v : BigInt(v);
}

/** True when `v` is a canonical integer (the check Fengari's API makes on pushed integers). */
export function isInt(v: unknown): v is Int {
  return typeof v === "number" ? (v | 0) === v && !Object.is(v, -0) : typeof v === "bigint" && v === BigInt.asIntN(64, v) && (v < -2147483648n || v > 2147483647n);
}

/**
 * A position or count argument of a library function as a JS number: exact below 2^53, beyond that only
 * compared with string lengths and sizes, where the rounding cannot change a result.
 */
export function pos(v: Int): number {
  return typeof v === "number" ? v : Number(v);
}

export function add(a: Int, b: Int): Int {
  if (typeof a === "number" && typeof b === "number") {
    const r = a + b;
    return (r | 0) === r ? r : BigInt(r);
  }
  return wrap(big(a) + big(b));
}

export function sub(a: Int, b: Int): Int {
  if (typeof a === "number" && typeof b === "number") {
    const r = a - b;
    return (r | 0) === r ? r : BigInt(r);
  }
  return wrap(big(a) - big(b));
}

export function mul(a: Int, b: Int): Int {
  if (typeof a === "number" && typeof b === "number") {
    const r = a * b;
    // A double product of two 32-bit values is exact up to 2^53; -0 is never an integer.
    if ((r | 0) === r) return r | 0;
    if (Math.abs(r) <= 2 ** 53) return BigInt(r);
  }
  return wrap(big(a) * big(b));
}

export function unm(a: Int): Int {
  if (typeof a === "number") return a === -2147483648 ? 2147483648n : -a | 0;
  return wrap(-a);
}

/** Floor division; the zero divisor is refused by the caller (luaV_div). */
export function idiv(m: Int, n: Int): Int {
  if (typeof m === "number" && typeof n === "number") {
    if (n === -1) return unm(m);
    return Math.floor(m / n) | 0;
  }
  const a = big(m);
  const b = big(n);
  let q = a / b;
  if (a % b !== 0n && a < 0n !== b < 0n) q -= 1n;
  return wrap(q);
}

/** Floored modulo; the zero divisor is refused by the caller (luaV_mod). */
export function mod(m: Int, n: Int): Int {
  if (typeof m === "number" && typeof n === "number") {
    const r = m % n;
    return (r !== 0 && (r ^ n) < 0 ? r + n : r) | 0;
  }
  const b = big(n);
  let r = big(m) % b;
  if (r !== 0n && r < 0n !== b < 0n) r += b;
  return canon(r);
}

export function band(a: Int, b: Int): Int {
  return typeof a === "number" && typeof b === "number" ? a & b : canon(big(a) & big(b));
}

export function bor(a: Int, b: Int): Int {
  return typeof a === "number" && typeof b === "number" ? a | b : canon(big(a) | big(b));
}

export function bxor(a: Int, b: Int): Int {
  return typeof a === "number" && typeof b === "number" ? a ^ b : canon(big(a) ^ big(b));
}

export function bnot(a: Int): Int {
  return typeof a === "number" ? ~a : canon(~a);
}

/** Lua 5.3 shifts are logical on the whole 64-bit word (`-1 >> 1` is 2^63-1); `y < 0` shifts right. */
export function shiftl(x: Int, y: Int): Int {
  if (y <= -64 || y >= 64) return 0;
  const n = Number(y);
  if (typeof x === "number") {
    if (n < 0 && x >= 0) return n <= -32 ? 0 : x >>> -n;
    if (n >= 0 && n < 31 && x >= 0) {
      const r = x * 2 ** n;
      if (r <= 2147483647) return r;
    }
  }
  const word = BigInt.asUintN(64, big(x));
  return wrap(n < 0 ? word >> BigInt(-n) : word << BigInt(n));
}

/** Unsigned comparison (math.ult, and C's `(lua_Unsigned)a < b`). */
export function ult(a: Int, b: Int): boolean {
  return BigInt.asUintN(64, big(a)) < BigInt.asUintN(64, big(b));
}

/**
 * Lua 5.3 reads a decimal numeral as an integer when it fits 64 bits, and a hexadecimal one modulo 2^64
 * (l_str2int). Returns undefined when the text is not an integer numeral (a float in Lua; nothing here).
 */
export function str2int(s: Uint8Array): { n: Int; i: number } | undefined {
  let text = "";
  for (let k = 0; k < s.length && s[k] !== 0; k++) text += String.fromCharCode(s[k]);
  const m = /^[\t\n\v\f\r ]*([-+])?(0[xX][0-9a-fA-F]+|[0-9]+)[\t\n\v\f\r ]*$/.exec(text);
  if (!m) return undefined;
  let v = BigInt(m[2]);
  if (!/^0[xX]/.test(m[2]) && v > (m[1] === "-" ? 2n ** 63n : MAXINTEGER)) return undefined; // a float in Lua 5.3
  if (m[1] === "-") v = -v;
  return { n: wrap(v), i: text.length };
}

/** tonumber(s, base): digits accumulate modulo 2^64 as in C; null when a digit is invalid. */
export function parseBase(digits: string, base: number, neg: boolean): Int | null {
  let v = 0n;
  for (const c of digits.toLowerCase()) {
    const d = parseInt(c, 36);
    if (!(d < base)) return null;
    v = BigInt.asUintN(64, v * BigInt(base) + BigInt(d));
  }
  return wrap(neg ? -v : v);
}
