/** The /dev/kscript framing and the client's error mapping, without a kernel. */
import { describe, expect, it } from "vitest";
import { KscriptError, openDevice } from "../../device/client.js";
import {
  HEADER_SIZE,
  MAGIC,
  Op,
  ProtocolError,
  VERSION,
  decodeReply,
  decodeValues,
  encodeRequest,
  replyLength,
} from "../../device/protocol.js";

/** A reply as the module builds it: header with status, then the payload of an encoded request. */
function reply(op: number, status: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(HEADER_SIZE);
  h.writeUInt32LE(MAGIC, 0);
  h.writeUInt16LE(VERSION, 4);
  h.writeUInt16LE(op, 6);
  h.writeInt32LE(status, 8);
  h.writeUInt32LE(payload.byteLength, 12);
  return Buffer.concat([h, payload]);
}

const payloadOf = (req: Buffer): Buffer => req.subarray(HEADER_SIZE);

describe("request encoding", () => {
  it("writes the header: magic KSCR, version 3, op, zero status, payload length", () => {
    const req = encodeRequest(Op.unload, ["ab"]);
    expect([...req.subarray(0, 4)]).toEqual([..."KSCR"].map((c) => c.charCodeAt(0)));
    expect(req.readUInt16LE(4)).toBe(3);
    expect(req.readUInt16LE(6)).toBe(Op.unload);
    expect(req.readInt32LE(8)).toBe(0);
    expect(req.readUInt32LE(12)).toBe(7);
    expect([...payloadOf(req)]).toEqual([3, 2, 0, 0, 0, 0x61, 0x62]);
  });

  it("encodes each value type with its tag", () => {
    const p = payloadOf(encodeRequest(Op.rcuSet, [null, true, false, -2, 1n << 40n, new Uint8Array([0, 255])]));
    expect([...p]).toEqual([
      0,
      1, 1,
      1, 0,
      2, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      2, 0, 0, 0, 0, 0, 1, 0, 0,
      3, 2, 0, 0, 0, 0, 255,
    ]);
  });

  it("sends JS strings as UTF-8 bytes", () => {
    expect([...payloadOf(encodeRequest(Op.stats, ["é"]))]).toEqual([3, 2, 0, 0, 0, 0xc3, 0xa9]);
  });

  it("refuses non-integers and integers beyond 64 bits", () => {
    expect(() => encodeRequest(Op.rcuSet, [1.5])).toThrow(ProtocolError);
    expect(() => encodeRequest(Op.rcuSet, [2 ** 60])).toThrow(/integer values only/);
    expect(() => encodeRequest(Op.rcuSet, [1n << 63n])).toThrow(/out of 64-bit range/);
    expect(() => encodeRequest(Op.rcuSet, [-(1n << 63n)])).not.toThrow();
  });
});

describe("reply decoding", () => {
  it("round-trips every value type; big integers come back as bigint", () => {
    const values = [null, true, false, 0, -1, Number.MAX_SAFE_INTEGER, 1n << 62n, -(1n << 63n), new Uint8Array([1, 2, 3])];
    const r = decodeReply(reply(Op.run, 0, payloadOf(encodeRequest(Op.run, values))));
    expect(r).toEqual({ op: Op.run, status: 0, values });
  });

  it("reads a negative errno status", () => {
    const r = decodeReply(reply(Op.load, -17, payloadOf(encodeRequest(Op.load, ["name taken"]))));
    expect(r.status).toBe(-17);
    expect(Buffer.from(r.values[0] as Uint8Array).toString()).toBe("name taken");
  });

  it("announces the payload length from the header alone", () => {
    expect(replyLength(reply(Op.list, 0, Buffer.alloc(5)).subarray(0, HEADER_SIZE))).toBe(5);
  });

  it("rejects bad magic, other versions, short headers and length mismatches", () => {
    const good = reply(Op.list, 0, Buffer.alloc(0));
    const badMagic = Buffer.from(good);
    badMagic.writeUInt32LE(0, 0);
    expect(() => decodeReply(badMagic)).toThrow(/bad magic/);
    const v1 = Buffer.from(good);
    v1.writeUInt16LE(1, 4);
    expect(() => decodeReply(v1)).toThrow(/version 1; this client speaks 3/);
    expect(() => replyLength(good.subarray(0, 8))).toThrow(/short reply header/);
    expect(() => decodeReply(Buffer.concat([good, Buffer.alloc(1)]))).toThrow(/announces 16/);
  });

  it("rejects truncated and unknown values", () => {
    expect(() => decodeValues(Buffer.from([2, 1, 2]))).toThrow(/truncated value/);
    expect(() => decodeValues(Buffer.from([3, 5, 0, 0, 0, 1]))).toThrow(/truncated value/);
    expect(() => decodeValues(Buffer.from([1, 2]))).toThrow(/bad boolean/);
    expect(() => decodeValues(Buffer.from([9]))).toThrow(/unknown value type 9/);
  });
});

describe("client errors", () => {
  it("explains a missing device", () => {
    const err = (() => {
      try {
        openDevice("/nonexistent/kscript");
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(KscriptError);
    expect((err as KscriptError).code).toBe("ENOENT");
    expect((err as KscriptError).message).toBe("kscript module not loaded: kscript module load loads it (kscript doctor: what this machine lacks), or try hooks in kscript vm");
  });
});
