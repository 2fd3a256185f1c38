/**
 * The SM4-GCM / SM4-CCM reference the sm4 kernel suite judges kTLS with (test/helpers/sm4.ts), against
 * RFC 8998's test vectors (Appendix A), and the TLS record layouts it builds.
 */
import { describe, expect, it } from "vitest";
import { sm4Records, sm4Seal } from "../helpers/sm4.js";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

// RFC 8998, A.1 and A.2: the same key, nonce, plaintext and additional data for both modes.
const KEY = hex("0123456789ABCDEFFEDCBA9876543210");
const NONCE = hex("00001234567800000000ABCD");
const PLAIN = hex(`AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB CCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD
  EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFF EEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA`);
const AAD = hex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2");

describe("SM4 AEAD reference", () => {
  it("SM4-GCM gives RFC 8998 A.1's ciphertext and tag", () => {
    expect(sm4Seal("gcm", KEY, NONCE, AAD, PLAIN).toString("hex")).toBe(
      hex(`17F399F08C67D5EE19D0DC9969C4BB7D 5FD46FD3756489069157B282BB200735
        D82710CA5C22F0CCFA7CBF93D496AC15 A56834CBCF98C397B4024A2691233B8D
        83DE3541E4C2B58177E065A9BF7B62EC`).toString("hex"),
    );
  });

  it("SM4-CCM gives RFC 8998 A.2's ciphertext and tag", () => {
    expect(sm4Seal("ccm", KEY, NONCE, AAD, PLAIN).toString("hex")).toBe(
      hex(`48AF93501FA62ADBCD414CCE6034D895 DDA1BF8F132F042098661572E7483094
        FD12E518CE062C98ACEE28D95DF4416B ED31A2F04476C18BB40C84A74B97DC5B
        16842D4FA186F56AB33256971FA110F4`).toString("hex"),
    );
  });

  it("a plaintext that is not whole blocks, and the tag changes with the additional data", () => {
    for (const mode of ["gcm", "ccm"] as const) {
      const a = sm4Seal(mode, KEY, NONCE, AAD, PLAIN.subarray(0, 37));
      expect(a.length).toBe(37 + 16);
      expect(a.subarray(0, 37)).toEqual(sm4Seal(mode, KEY, NONCE, AAD, PLAIN).subarray(0, 37));
      const b = sm4Seal(mode, KEY, NONCE, AAD.subarray(1), PLAIN.subarray(0, 37));
      expect(b.subarray(0, 37)).toEqual(a.subarray(0, 37));
      expect(b.subarray(37)).not.toEqual(a.subarray(37));
    }
  });

  it("TLS records: 1.2 carries the stepped explicit nonce, 1.3 hides the type and steps the nonce by XOR", () => {
    const keys = { key: KEY, salt: hex("01020304"), iv: hex("00000000000000ff"), recSeq: hex("ffffffffffffffff") };
    const plains = [Buffer.from("abc"), Buffer.from("defg")];
    const r12 = sm4Records("gcm", "1.2", keys, plains);
    expect(r12.length).toBe(5 + 8 + 3 + 16 + 5 + 8 + 4 + 16);
    expect(r12.subarray(0, 13).toString("hex")).toBe("170303001b" + "00000000000000ff");
    expect(r12.subarray(32, 45).toString("hex")).toBe("170303001c" + "0000000000000100");
    // The second record's sequence number wrapped to 0: its additional data starts with eight zero bytes.
    const aad = Buffer.concat([Buffer.alloc(8), hex("1703030004")]);
    expect(r12.subarray(45)).toEqual(sm4Seal("gcm", KEY, hex("010203040000000000000100"), aad, plains[1]!));
    const r13 = sm4Records("ccm", "1.3", keys, plains);
    expect(r13.subarray(0, 5).toString("hex")).toBe("1703030014");
    const nonce = hex("0102030400000000000000ff"); // iv XOR 0: the second record's sequence number
    expect(r13.subarray(25 + 5)).toEqual(sm4Seal("ccm", KEY, nonce, r13.subarray(25, 30), Buffer.from("defg\x17")));
  });
});
