/**
 * 64-bit integer semantics for Fengari's 32-bit integers. The patched Fengari (fengari64.ts) calls these
 * wherever an integer result is made; each computes what the kernel's 64-bit Lua would produce and either
 * returns it (when it fits the emulator's 32 bits, so it is the same value) or throws an EmulatorFault that
 * names the operation. Nothing here wraps silently.
 */

/** Why a call stopped for a reason the kernel would not share (or shares with a different message). */
export type FaultKind = "divergence" | "memory" | "stack";

/** Thrown from inside Fengari; the engine turns it into a Lua error and remembers it (see engine.ts). */
export class EmulatorFault extends Error {
  constructor(
    readonly kind: FaultKind,
    message: string,
  ) {
    super(message);
  }
}

export const EXCEEDS = "value exceeds the emulator's 32-bit integers";

const fits = (v: bigint): boolean => v >= -2147483648n && v <= 2147483647n;

/** The kernel's result, wrapped like a 64-bit C integer; returned only when the emulator can hold it. */
function result(op: string, kernel: bigint): number {
  const v = BigInt.asIntN(64, kernel);
  if (!fits(v)) throw new EmulatorFault("divergence", `${op} = ${v}: ${EXCEEDS}`);
  return Number(v);
}

export function add(a: number, b: number): number {
  const r = a + b;
  return (r | 0) === r ? r : result(`${a} + ${b}`, BigInt(a) + BigInt(b));
}

export function sub(a: number, b: number): number {
  const r = a - b;
  return (r | 0) === r ? r : result(`${a} - ${b}`, BigInt(a) - BigInt(b));
}

export function mul(a: number, b: number): number {
  const r = a * b;
  // A double product of two 32-bit values is exact whenever it fits 32 bits, and -0 never reaches here.
  return (r | 0) === r ? r : result(`${a} * ${b}`, BigInt(a) * BigInt(b));
}

export function unm(a: number): number {
  return a === -2147483648 ? result(`-(${a})`, -BigInt(a)) : -a | 0;
}

/** Floor division result check (the zero divisor is handled by Fengari before). */
export function idiv(m: number, n: number): number {
  const r = Math.floor(m / n);
  return (r | 0) === r ? r : result(`${m} // ${n}`, BigInt(r));
}

/**
 * Lua 5.3 shifts are logical on the whole 64-bit word: `-1 >> 1` is 2^63-1 in the kernel, so a right
 * shift of a negative value, or a left shift past bit 31, has no 32-bit equivalent.
 */
export function shiftl(x: number, y: number): number {
  const op = y < 0 ? `${x} >> ${-y}` : `${x} << ${y}`;
  if (y <= -64 || y >= 64) return 0;
  if (x >= 0 && y < 0) return y <= -32 ? 0 : x >>> -y;
  if (x >= 0 && y < 31) {
    const r = x * 2 ** y;
    if (r <= 2147483647) return r;
  }
  const word = BigInt.asUintN(64, BigInt(x));
  return result(op, y < 0 ? word >> BigInt(-y) : word << BigInt(y));
}

/** A conversion whose exact value is known (string to integer, string.unpack, …). */
export function exact(op: string, v: bigint): number {
  return result(op, v);
}

/**
 * Lua 5.3 reads a decimal numeral as an integer when it fits 64 bits, and a hexadecimal one modulo 2^64.
 * Fengari does the same with 32 bits, so such a numeral would silently become a float or wrap. Returns
 * undefined when the numeral is not an integer numeral at all (the caller then tries a float).
 */
export function str2int(s: Uint8Array): { n: number; i: number } | undefined {
  const text = new TextDecoder("latin1").decode(s).replace(/\0.*$/s, "");
  const m = /^[\t\n\v\f\r ]*(-|\+)?(0[xX][0-9a-fA-F]+|[0-9]+)[\t\n\v\f\r ]*$/.exec(text);
  if (!m) return undefined;
  const neg = m[1] === "-";
  let v = BigInt(m[2]);
  if (!/^0[xX]/.test(m[2])) {
    if (v > (neg ? 2n ** 63n : 2n ** 63n - 1n)) return undefined; // a float in Lua 5.3 as well
  } else {
    v = BigInt.asIntN(64, v);
  }
  if (neg) v = -v;
  return { n: result(`numeral ${m[2]}`, v), i: text.length };
}

/** tonumber(s, base): digits accumulate modulo 2^64 as in the kernel; null when a digit is invalid. */
export function parseBase(digits: string, base: number, neg: boolean): number | null {
  let v = 0n;
  for (const c of digits.toLowerCase()) {
    const d = parseInt(c, 36);
    if (!(d < base)) return null;
    v = BigInt.asUintN(64, v * BigInt(base) + BigInt(d));
  }
  return result(`tonumber("${neg ? "-" : ""}${digits}", ${base})`, neg ? -v : v);
}

/** string.format's %o %u %x %X print the 64-bit two's complement of a negative value. */
export function formatUnsigned(form: string, n: number): string | undefined {
  const conv = form[form.length - 1];
  if (n >= 0 || conv === "d" || conv === "i") return undefined;
  const radix = conv === "o" ? 8 : conv === "u" ? 10 : 16;
  let digits = BigInt.asUintN(64, BigInt(n)).toString(radix);
  if (conv === "X") digits = digits.toUpperCase();
  const flags = /^%([-#0 +]*)(\d*)/.exec(form) ?? ["", "", ""];
  if (flags[1].includes("#") && radix === 16) digits = (conv === "X" ? "0X" : "0x") + digits;
  if (flags[1].includes("#") && radix === 8) digits = "0" + digits;
  const width = Number(flags[2] || 0);
  if (digits.length >= width) return digits;
  if (flags[1].includes("-")) return digits.padEnd(width, " ");
  return digits.padStart(width, flags[1].includes("0") ? "0" : " ");
}

/**
 * string.unpack of an integer with the kernel's 8-byte lua_Integer; undefined when the kernel itself
 * rejects it (a wider integer whose extra bytes are not a sign extension).
 */
export function unpackInt(bytes: Uint8Array, little: boolean, size: number, signed: boolean): number | undefined {
  let v = 0n;
  for (let i = 0; i < size; i++) v = (v << 8n) | BigInt(bytes[little ? size - 1 - i : i]);
  if (size < 8) {
    if (signed) v = BigInt.asIntN(size * 8, v);
  } else {
    const low = BigInt.asIntN(64, v);
    const extra = v >> 64n;
    if (extra !== (!signed || low >= 0n ? 0n : (1n << BigInt(size * 8 - 64)) - 1n)) return undefined;
    v = low;
  }
  return result(`string.unpack of a ${size}-byte integer`, v);
}

/** string.pack's range check as the kernel does it with 8-byte integers; true when `n` is acceptable. */
export function packFits(n: number, size: number, signed: boolean): boolean {
  if (size >= 8) return true;
  const lim = 2 ** (size * 8 - 1);
  return signed ? -lim <= n && n < lim : n >= 0 && n < lim * 2;
}
