/**
 * A reader for classic pcap files (tcpdump -w, Wireshark "pcap"): both byte orders, microsecond and
 * nanosecond timestamps. pcapng is not read; `tcpdump -r in.pcapng -w out.pcap` or `editcap -F pcap`
 * converts it.
 */
import fs from "node:fs";

export interface PcapPacket {
  /** Capture time in microseconds since the epoch. */
  timeMicros: number;
  /** Length on the wire; larger than `data.length` when the capture was truncated (snaplen). */
  originalLength: number;
  data: Uint8Array;
}

export interface PcapFile {
  /** LINKTYPE_* of the capture: 1 is Ethernet, which is what XDP hooks see. */
  linkType: number;
  packets: PcapPacket[];
}

export const LINKTYPE_ETHERNET = 1;

export function readPcap(source: string | Uint8Array): PcapFile {
  const bytes = typeof source === "string" ? new Uint8Array(fs.readFileSync(source)) : source;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 24) throw new Error("not a pcap file: shorter than its header");
  const magicLE = view.getUint32(0, true);
  const formats: Record<number, [little: boolean, nanos: boolean]> = {
    0xa1b2c3d4: [true, false],
    0xa1b23c4d: [true, true],
    0xd4c3b2a1: [false, false],
    0x4d3cb2a1: [false, true],
  };
  const format = formats[magicLE];
  if (!format) {
    const hint = magicLE === 0x0a0d0d0a ? " (this is pcapng: convert it with `editcap -F pcap`)" : "";
    throw new Error(`not a pcap file: magic 0x${magicLE.toString(16)}${hint}`);
  }
  const [little, nanos] = format;
  const linkType = view.getUint32(20, little) & 0x0fffffff;
  const packets: PcapPacket[] = [];
  for (let o = 24; o < bytes.length; ) {
    if (o + 16 > bytes.length) throw new Error(`pcap record header truncated at byte ${o}`);
    const seconds = view.getUint32(o, little);
    const fraction = view.getUint32(o + 4, little);
    const captured = view.getUint32(o + 8, little);
    const originalLength = view.getUint32(o + 12, little);
    if (o + 16 + captured > bytes.length) throw new Error(`pcap record at byte ${o} runs past the end of the file`);
    packets.push({
      timeMicros: seconds * 1e6 + (nanos ? Math.floor(fraction / 1000) : fraction),
      originalLength,
      data: bytes.slice(o + 16, o + 16 + captured),
    });
    o += 16 + captured;
  }
  return { linkType, packets };
}
