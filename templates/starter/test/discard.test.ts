import { describe, expect, it } from "vitest";
import { loadHook, tcpPacket, udpPacket } from "kscript/testing";

describe("discard hook", async () => {
  const hook = await loadHook("src/discard.ts");
  const udp = (dstPort: number) => udpPacket({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 40000, dstPort, payload: new Uint8Array(8) });

  it("drops UDP to the discard port", () => {
    expect(hook.runXdp(udp(9)).actionName).toBe("drop");
  });

  it("passes other UDP, TCP to port 9, and IPv6", () => {
    expect(hook.runXdp(udp(53)).actionName).toBe("pass");
    expect(hook.runXdp(tcpPacket({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 40000, dstPort: 9, payload: new Uint8Array(0) })).actionName).toBe("pass");
    expect(hook.runXdp(udpPacket({ src: "fd00::1", dst: "fd00::2", srcPort: 40000, dstPort: 9, payload: new Uint8Array(8) })).actionName).toBe("pass");
  });

  it("passes truncated and empty frames untouched", () => {
    const frame = udp(9);
    for (const length of [0, 1, 14, 37]) {
      const result = hook.runXdp(frame.subarray(0, length));
      expect(result.actionName).toBe("pass");
      expect(result.packet).toEqual(frame.subarray(0, length));
    }
  });
});
