/**
 * SM4-GCM and SM4-CCM (RFC 8998) and the TLS records kTLS makes with them, written here from the standards
 * on top of OpenSSL's SM4 block cipher (Node's `sm4-ecb`; OpenSSL 3.0 has no SM4 AEAD): the reference the
 * sm4 kernel suite compares kTLS's records with. test/tls/sm4-reference.test.ts checks it against RFC 8998's
 * own test vectors.
 */
import { createCipheriv } from "node:crypto";

export type Sm4Mode = "gcm" | "ccm";
const TAG = 16;

/** SM4 on whole 16-byte blocks, each on its own (ECB). */
function blockCipher(key: Buffer): (blocks: Buffer) => Buffer {
  if (key.length !== 16) throw new Error(`SM4 key of ${key.length} bytes (16 expected)`);
  return (blocks) => {
    const c = createCipheriv("sm4-ecb", key, null).setAutoPadding(false);
    return Buffer.concat([c.update(blocks), c.final()]);
  };
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(Math.min(a.length, b.length));
  for (let i = 0; i < out.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** Zero bytes up to the next multiple of 16. */
function pad16(b: Buffer): Buffer {
  return b.length % 16 === 0 ? b : Buffer.concat([b, Buffer.alloc(16 - (b.length % 16))]);
}

/** The counter blocks `first`, `first`+1, … for n bytes, the counter in the last `width` bytes (big-endian). */
function counters(first: Buffer, n: number, width: number): Buffer {
  const blocks: Buffer[] = [];
  let ctr = BigInt("0x" + first.subarray(16 - width).toString("hex"));
  const mod = 1n << BigInt(8 * width);
  for (let i = 0; i < Math.ceil(n / 16); i++, ctr = (ctr + 1n) % mod) {
    blocks.push(Buffer.concat([first.subarray(0, 16 - width), Buffer.from(ctr.toString(16).padStart(2 * width, "0"), "hex")]));
  }
  return Buffer.concat(blocks);
}

const R = 0xe1n << 120n;

/** Multiplication in GHASH's GF(2^128) (NIST SP 800-38D, 6.3). */
function gmul(x: bigint, y: bigint): bigint {
  let z = 0n;
  let v = y;
  for (let i = 127n; i >= 0n; i--) {
    if ((x >> i) & 1n) z ^= v;
    v = v & 1n ? (v >> 1n) ^ R : v >> 1n;
  }
  return z;
}

function big(b: Buffer): bigint {
  return b.length === 0 ? 0n : BigInt("0x" + b.toString("hex"));
}

function bytes(n: bigint, size: number): Buffer {
  return Buffer.from(n.toString(16).padStart(2 * size, "0"), "hex");
}

/** SM4-GCM with a 12-byte nonce: ciphertext || 16-byte tag. */
function gcm(key: Buffer, nonce: Buffer, aad: Buffer, plain: Buffer): Buffer {
  const e = blockCipher(key);
  const h = big(e(Buffer.alloc(16)));
  const j0 = Buffer.concat([nonce, Buffer.from([0, 0, 0, 1])]);
  const ct = xor(plain, e(counters(counters(j0, 32, 4).subarray(16), plain.length, 4)));
  const lengths = Buffer.concat([bytes(BigInt(aad.length * 8), 8), bytes(BigInt(ct.length * 8), 8)]);
  const data = Buffer.concat([pad16(aad), pad16(ct), lengths]);
  let s = 0n;
  for (let i = 0; i < data.length; i += 16) s = gmul(s ^ big(data.subarray(i, i + 16)), h);
  return Buffer.concat([ct, xor(e(j0), bytes(s, 16))]);
}

/** SM4-CCM with a 12-byte nonce and a 16-byte tag (RFC 3610, NIST SP 800-38C): ciphertext || tag. */
function ccm(key: Buffer, nonce: Buffer, aad: Buffer, plain: Buffer): Buffer {
  const e = blockCipher(key);
  const L = 15 - nonce.length;
  if (aad.length >= 0xff00 || plain.length >= 2 ** (8 * L)) throw new Error("CCM input too long for this reference");
  const flags = (aad.length > 0 ? 0x40 : 0) | (((TAG - 2) / 2) << 3) | (L - 1);
  const b0 = Buffer.concat([Buffer.from([flags]), nonce, bytes(BigInt(plain.length), L)]);
  const a = aad.length > 0 ? pad16(Buffer.concat([bytes(BigInt(aad.length), 2), aad])) : Buffer.alloc(0);
  const data = Buffer.concat([b0, a, pad16(plain)]);
  let x: Buffer = Buffer.alloc(16);
  for (let i = 0; i < data.length; i += 16) x = e(xor(x, data.subarray(i, i + 16)));
  const ctr0 = Buffer.concat([Buffer.from([L - 1]), nonce, Buffer.alloc(L)]);
  const stream = e(counters(ctr0, 16 + plain.length, L));
  return Buffer.concat([xor(plain, stream.subarray(16)), xor(x, stream.subarray(0, TAG))]);
}

/** The AEAD of `mode`: ciphertext || 16-byte tag. */
export function sm4Seal(mode: Sm4Mode, key: Buffer, nonce: Buffer, aad: Buffer, plain: Buffer): Buffer {
  if (nonce.length !== 12) throw new Error(`nonce of ${nonce.length} bytes (12 expected)`);
  return mode === "gcm" ? gcm(key, nonce, aad, plain) : ccm(key, nonce, aad, plain);
}

/** What kTLS is given for SM4 (struct tls12_crypto_info_sm4_gcm / _ccm), each field's bytes. */
export interface Sm4Keys {
  key: Buffer; // 16
  salt: Buffer; // 4
  iv: Buffer; // 8
  recSeq: Buffer; // 8
}

/** The 8 bytes of `b` + n, big-endian, modulo 2^64: how kTLS steps its record sequence and TLS 1.2 nonce. */
function plus(b: Buffer, n: number): Buffer {
  return bytes((big(b) + BigInt(n)) % (1n << 64n), 8);
}

const APPLICATION_DATA = 0x17;

/**
 * The application-data records kTLS sends for `plains` (one send() each, each one record), from the keys set
 * with TLS_TX. TLS 1.2 (RFC 5288's layout): the explicit nonce is the iv field stepped per record, the
 * additional data the sequence number, type, version and plaintext length. TLS 1.3 (RFC 8446 5.2): the nonce
 * is salt || iv with the sequence number XORed into its last 8 bytes, the inner plaintext ends with the type,
 * the additional data is the record header.
 */
export function sm4Records(mode: Sm4Mode, version: "1.2" | "1.3", keys: Sm4Keys, plains: Buffer[]): Buffer {
  return Buffer.concat(
    plains.map((plain, i) => {
      const seq = plus(keys.recSeq, i);
      if (version === "1.2") {
        const explicit = plus(keys.iv, i);
        const aad = Buffer.concat([seq, Buffer.from([APPLICATION_DATA, 3, 3]), bytes(BigInt(plain.length), 2)]);
        const sealed = sm4Seal(mode, keys.key, Buffer.concat([keys.salt, explicit]), aad, plain);
        return Buffer.concat([Buffer.from([APPLICATION_DATA, 3, 3]), bytes(BigInt(8 + sealed.length), 2), explicit, sealed]);
      }
      const nonce = xor(Buffer.concat([keys.salt, keys.iv]), Buffer.concat([Buffer.alloc(4), seq]));
      const inner = Buffer.concat([plain, Buffer.from([APPLICATION_DATA])]);
      const header = Buffer.concat([Buffer.from([APPLICATION_DATA, 3, 3]), bytes(BigInt(inner.length + TAG), 2)]);
      return Buffer.concat([header, sm4Seal(mode, keys.key, nonce, header, inner)]);
    }),
  );
}
