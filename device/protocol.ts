/**
 * The /dev/kscript framing (kmod/README.md is the reference; the constants are common/dialect.ts WIRE, which
 * the module gets as kmod/generated/wire.h).
 *
 * A request is one write(2): a 16-byte header then a payload of typed values. The reply is read back with
 * read(2): the same header (status 0 or -errno) and its own values. All integers are little-endian.
 */
import { INT64_MAX, INT64_MIN, WIRE } from "../common/dialect.js";

export const { magic: MAGIC, version: VERSION, headerSize: HEADER_SIZE, requestMax: REQUEST_MAX } = WIRE;

export const Op = WIRE.ops;
export type OpName = keyof typeof Op;
export type OpCode = (typeof Op)[OpName];

const VType = WIRE.valueTypes;

/**
 * A value on the wire. Lua strings are bytes: they decode to `Uint8Array`; a JS `string` encodes as UTF-8.
 * Integers are 64-bit: they decode to `number` when safe, else `bigint`.
 */
export type WireValue = null | boolean | number | bigint | string | Uint8Array;
export type DecodedValue = null | boolean | number | bigint | Uint8Array;

export interface Reply {
  op: number;
  /** 0, or a negative errno. */
  status: number;
  values: DecodedValue[];
}

export class ProtocolError extends Error {
  override name = "ProtocolError";
}

function valueSize(v: WireValue): number {
  if (v === null) return 1;
  if (typeof v === "boolean") return 2;
  if (typeof v === "number" || typeof v === "bigint") return 9;
  if (typeof v === "string") return 5 + Buffer.byteLength(v, "utf8");
  return 5 + v.byteLength;
}

function writeValue(buf: Buffer, at: number, v: WireValue): number {
  if (v === null) {
    buf[at] = VType.nil;
    return at + 1;
  }
  if (typeof v === "boolean") {
    buf[at] = VType.bool;
    buf[at + 1] = v ? 1 : 0;
    return at + 2;
  }
  if (typeof v === "number" || typeof v === "bigint") {
    if (typeof v === "number" && !Number.isSafeInteger(v)) {
      throw new ProtocolError(`integer values only (64-bit): got ${v}`);
    }
    const big = BigInt(v);
    if (big < INT64_MIN || big > INT64_MAX) throw new ProtocolError(`integer out of 64-bit range: ${big}`);
    buf[at] = VType.int;
    buf.writeBigInt64LE(big, at + 1);
    return at + 9;
  }
  const bytes = typeof v === "string" ? Buffer.from(v, "utf8") : v;
  buf[at] = VType.str;
  buf.writeUInt32LE(bytes.byteLength, at + 1);
  buf.set(bytes, at + 5);
  return at + 5 + bytes.byteLength;
}

/** One request, ready for a single write(2). */
export function encodeRequest(op: OpCode, values: readonly WireValue[]): Buffer {
  const payload = values.reduce<number>((n, v) => n + valueSize(v), 0);
  const buf = Buffer.alloc(HEADER_SIZE + payload);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt16LE(VERSION, 4);
  buf.writeUInt16LE(op, 6);
  buf.writeInt32LE(0, 8);
  buf.writeUInt32LE(payload, 12);
  let at: number = HEADER_SIZE;
  for (const v of values) at = writeValue(buf, at, v);
  return buf;
}

/** The payload length announced by a reply header (to know how much more to read). */
export function replyLength(header: Uint8Array): number {
  const h = Buffer.from(header.buffer, header.byteOffset, header.byteLength);
  if (h.byteLength < HEADER_SIZE) throw new ProtocolError(`short reply header: ${h.byteLength} bytes`);
  if (h.readUInt32LE(0) !== MAGIC) throw new ProtocolError("reply has a bad magic number");
  const version = h.readUInt16LE(4);
  if (version !== VERSION) throw new ProtocolError(`reply is protocol version ${version}; this client speaks ${VERSION}`);
  return h.readUInt32LE(12);
}

export function decodeValues(payload: Uint8Array): DecodedValue[] {
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const values: DecodedValue[] = [];
  let at = 0;
  const need = (n: number): void => {
    if (at + n > buf.byteLength) throw new ProtocolError(`truncated value at byte ${at}`);
  };
  while (at < buf.byteLength) {
    const type = buf[at++];
    switch (type) {
      case VType.nil:
        values.push(null);
        break;
      case VType.bool:
        need(1);
        if (buf[at]! > 1) throw new ProtocolError(`bad boolean at byte ${at}`);
        values.push(buf[at++] === 1);
        break;
      case VType.int: {
        need(8);
        const big = buf.readBigInt64LE(at);
        at += 8;
        values.push(big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big);
        break;
      }
      case VType.str: {
        need(4);
        const len = buf.readUInt32LE(at);
        at += 4;
        need(len);
        values.push(new Uint8Array(buf.subarray(at, at + len)));
        at += len;
        break;
      }
      default:
        throw new ProtocolError(`unknown value type ${type} at byte ${at - 1}`);
    }
  }
  return values;
}

/** A whole reply: header and payload. */
export function decodeReply(bytes: Uint8Array): Reply {
  const length = replyLength(bytes);
  if (bytes.byteLength !== HEADER_SIZE + length) {
    throw new ProtocolError(`reply is ${bytes.byteLength} bytes; its header announces ${HEADER_SIZE + length}`);
  }
  const h = Buffer.from(bytes.buffer, bytes.byteOffset, HEADER_SIZE);
  return {
    op: h.readUInt16LE(6),
    status: h.readInt32LE(8),
    values: decodeValues(bytes.subarray(HEADER_SIZE)),
  };
}
