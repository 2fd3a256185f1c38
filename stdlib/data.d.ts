/**
 * Views over bytes, after luadata (lneto/luadata, as used by Lunatik and XDPLua). A `Data` object is a
 * window on bytes — a packet, a request — that segments share without copying. Layout fields address
 * bits (offset and length in bits, MSB first, network byte order unless `"little"`/`"host"`); string
 * fields address bytes. Compiles to the Lua global `data`.
 * @module
 */

/** Byte order of a layout field: `"big"`/`"net"`/`"be"` (the default) or `"little"`/`"host"`/`"le"`. */
export type Endian = "big" | "net" | "be" | "little" | "host" | "le";

/**
 * One layout field: `[offset, length]` in bits, optionally followed by the byte order, or by a type
 * (`"number"`, or `"string"`/`"s"` for a byte string, whose offset and length are in bytes) and a byte order.
 */
export type FieldSpec =
  | readonly [offset: number, length: number, endian?: Endian]
  | readonly [offset: number, length: number, type: "number" | "string" | "s", endian?: Endian]
  | { readonly offset: number; readonly length: number; readonly type?: "number" | "string" | "s"; readonly endian?: Endian };

/** Field names to field specs, as given to {@link layout} or {@link Data.layout}. */
export type LayoutSpec = Readonly<Record<string, FieldSpec>>;

type FieldValue<S> = S extends readonly [number, number, "string" | "s", ...unknown[]]
  ? string
  : S extends { readonly type: "string" | "s" }
    ? string
    : number;

/** The fields a layout adds to a data object; a field outside the data reads as `undefined` (nil). */
export type Fields<L extends LayoutSpec> = { -readonly [K in keyof L]: FieldValue<L[K]> | undefined };

/** A compiled layout, made once with {@link layout} and applied to many data objects. */
export interface Layout<L extends LayoutSpec = LayoutSpec> {
  /** @internal Type-level brand only. */
  readonly __layout?: L;
}

/** A window of bytes. Accessor offsets are in bytes, 0-based; going past the end raises a Lua error. */
export interface Data {
  /** Number of bytes in the window (Lua `#d`). */
  len: LuaLengthMethod<number>;
  /**
   * Applies a layout (compiled or given as a table) and returns this same object, now with the layout's
   * fields readable and writable as properties: `pkt.layout({ ttl: [64, 8] }).ttl`.
   */
  layout<const L extends LayoutSpec>(this: Data, layout: L | Layout<L>): Data & Fields<L>;
  /**
   * A new data object over bytes `offset .. offset + length - 1` of this one (default: to the end), sharing
   * them; `undefined` when the range does not fit.
   */
  segment(this: Data, offset?: number, length?: number): Data | undefined;
  /** The byte at `offset` (0..255). */
  getbyte(this: Data, offset: number): number;
  /** Stores the low 8 bits of `value` at `offset`. */
  setbyte(this: Data, offset: number, value: number): void;
  /** The big-endian 16-bit unsigned integer at `offset`. */
  getuint16(this: Data, offset: number): number;
  /** Stores the low 16 bits of `value` big-endian at `offset`. */
  setuint16(this: Data, offset: number, value: number): void;
  /** The big-endian 32-bit unsigned integer at `offset` (0 .. 2^32-1). */
  getuint32(this: Data, offset: number): number;
  /** Stores the low 32 bits of `value` big-endian at `offset`. */
  setuint32(this: Data, offset: number, value: number): void;
  /** The bytes from `offset` (default 0), `length` of them (default: to the end), as a string. */
  getstring(this: Data, offset?: number, length?: number): string;
}

/**
 * A new data object holding a copy of `init`: a byte string, an array of byte values, or a size in bytes
 * (zero-filled). `undefined` when that would be empty. Import it renamed: `import { new as newData }`.
 */
declare function _new(this: void, init: number | string | readonly number[]): Data | undefined;
export { _new as new };

/** Compiles a layout once, to apply with `d.layout(compiled)` to many data objects. */
export declare function layout<const L extends LayoutSpec>(this: void, spec: L): Layout<L>;
