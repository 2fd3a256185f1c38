import { describe, expect, it } from "vitest";
import { concat, loadHook, tcpPacket, udpPacket } from "kscript/testing";

describe("discard hook", async () => {
  const hook = await loadHook("src/discard.ts");
  const udp = (dstPort: number, payload = new Uint8Array(8)) => udpPacket({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 40000, dstPort, payload });
  const verdict = (frame: Uint8Array) => hook.runXdp(frame).actionName;
  /** `frame` with `options` (a multiple of 4 bytes) added to its IPv4 header, IHL and total length to match. */
  const withOptions = (frame: Uint8Array, options: number[]) => {
    const out = concat(frame.subarray(0, 34), Uint8Array.from(options), frame.subarray(34));
    out[14] = 0x45 + options.length / 4;
    out[17] += options.length;
    return out;
  };
  /** `frame` with its IPv4 flags and fragment offset (in 8-byte units) set. */
  const fragment = (frame: Uint8Array, moreFragments: boolean, offset: number) => {
    const out = frame.slice();
    out.set([(moreFragments ? 0x20 : 0) | (offset >> 8), offset & 0xff], 20);
    return out;
  };

  it("drops UDP to the discard port", () => {
    expect(verdict(udp(9))).toBe("drop");
  });

  it("passes other UDP, TCP to port 9, and IPv6", () => {
    expect(verdict(udp(53))).toBe("pass");
    expect(verdict(tcpPacket({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 40000, dstPort: 9, payload: new Uint8Array(0) }))).toBe("pass");
    expect(verdict(udpPacket({ src: "fd00::1", dst: "fd00::2", srcPort: 40000, dstPort: 9, payload: new Uint8Array(8) }))).toBe("pass");
  });

  it("finds the UDP header after IPv4 options", () => {
    expect(verdict(withOptions(udp(9), [1, 1, 1, 0]))).toBe("drop");
    expect(verdict(withOptions(udp(9), Array(40).fill(1)))).toBe("drop");
    // Port 53 behind options whose bytes sit where a 20-byte header's UDP destination port would be: 0, 9.
    expect(verdict(withOptions(udp(53), [0x94, 4, 0, 9]))).toBe("pass");
  });

  it("drops the first fragment of a datagram to port 9 and passes the others, whatever their payload holds", () => {
    expect(verdict(fragment(udp(9), true, 0))).toBe("drop");
    // A later fragment has no UDP header: bytes 00 09 where its destination port would be are payload.
    expect(verdict(fragment(udp(53, Uint8Array.of(0, 1, 0, 9, 0, 0, 0, 0)), false, 185))).toBe("pass");
    expect(verdict(fragment(udp(9), true, 1))).toBe("pass");
  });

  it("passes VLAN-tagged frames, which it does not look into", () => {
    const plain = udp(9);
    const tagged = concat(plain.subarray(0, 12), Uint8Array.of(0x81, 0x00, 0x00, 0x64), plain.subarray(12));
    expect(verdict(tagged)).toBe("pass");
  });

  it("passes broken IPv4 headers, and truncated and empty frames untouched", () => {
    for (const first of [0x44, 0x40, 0x65, 0x4f]) {
      const bad = udp(9);
      bad[14] = first;
      expect(verdict(bad), first.toString(16)).toBe("pass");
    }
    const frame = udp(9);
    for (const length of [0, 1, 14, 33, 34, 37]) {
      const result = hook.runXdp(frame.subarray(0, length));
      expect(result.actionName).toBe("pass");
      expect(result.packet).toEqual(frame.subarray(0, length));
    }
    expect(verdict(withOptions(udp(9), Array(40).fill(1)).subarray(0, 14 + 60 + 3))).toBe("pass");
  });
});
