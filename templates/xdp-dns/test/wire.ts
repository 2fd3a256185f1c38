/**
 * A strict DNS message reader for checking the hook's replies, written from RFC 1035 §4 and RFC 6891 §6
 * independently of `kscript/dns` and of kscript/testing's parseDns, so that a shared misreading cannot
 * hide. Anything off throws: counts that do not match the records, bytes after the last one, pointers that
 * do not go backwards, an OPT record that is not the root's or not in the additional section.
 */
export interface WireRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  data: Uint8Array;
}

export interface WireMessage {
  id: number;
  flags: number;
  questions: { name: string; type: number; class: number }[];
  answers: WireRecord[];
  authority: WireRecord[];
  /** The OPT pseudo-record, if any: UDP payload size, extended RCODE, version, DO bit, option bytes. */
  opt?: { size: number; extendedRcode: number; version: number; do: boolean; options: Uint8Array };
  additional: WireRecord[];
}

export function readWire(bytes: Uint8Array): WireMessage {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const need = (n: number) => {
    if (at + n > bytes.length) throw new Error(`message ends at ${bytes.length}, needed ${at + n}`);
  };
  const u16 = () => (need(2), (at += 2), view.getUint16(at - 2));
  const u32 = () => (need(4), (at += 4), view.getUint32(at - 4));
  const name = (): string => {
    const labels: string[] = [];
    let pos = at;
    let jumped = false;
    for (let guard = 0; guard < 128; guard++) {
      if (pos >= bytes.length) throw new Error("name runs past the end");
      const len = bytes[pos];
      if (len === 0) {
        if (!jumped) at = pos + 1;
        return labels.join(".");
      }
      if ((len & 0xc0) === 0xc0) {
        if (pos + 1 >= bytes.length) throw new Error("pointer cut short");
        const target = ((len & 0x3f) << 8) | bytes[pos + 1];
        if (target >= pos) throw new Error("pointer does not go backwards");
        if (!jumped) at = pos + 2;
        jumped = true;
        pos = target;
      } else if (len & 0xc0) {
        throw new Error("reserved label type");
      } else {
        if (pos + 1 + len > bytes.length) throw new Error("label runs past the end");
        labels.push(String.fromCharCode(...bytes.subarray(pos + 1, pos + 1 + len)));
        pos += 1 + len;
      }
    }
    throw new Error("name too long");
  };
  const id = u16();
  const flags = u16();
  const [qd, an, ns, ar] = [u16(), u16(), u16(), u16()];
  const questions = Array.from({ length: qd }, () => ({ name: name(), type: u16(), class: u16() }));
  const record = (): WireRecord => {
    const r = { name: name(), type: u16(), class: u16(), ttl: u32() };
    const length = u16();
    need(length);
    at += length;
    return { ...r, data: bytes.slice(at - length, at) };
  };
  const answers = Array.from({ length: an }, record);
  const authority = Array.from({ length: ns }, record);
  const additional = Array.from({ length: ar }, record);
  if (at !== bytes.length) throw new Error(`${bytes.length - at} bytes after the last record`);
  const message: WireMessage = { id, flags, questions, answers, authority, additional: additional.filter((r) => r.type !== 41) };
  const opts = additional.filter((r) => r.type === 41);
  if ([...answers, ...authority].some((r) => r.type === 41) || opts.length > 1) throw new Error("OPT outside the additional section, or twice");
  if (opts.length === 1) {
    const o = opts[0];
    if (o.name !== "") throw new Error("OPT owner is not the root");
    message.opt = { size: o.class, extendedRcode: o.ttl >>> 24, version: (o.ttl >>> 16) & 0xff, do: (o.ttl & 0x8000) !== 0, options: o.data };
  }
  return message;
}
