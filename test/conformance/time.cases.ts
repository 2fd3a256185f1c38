/** `time`: the monotonic clock, on every target: integer readings that never go back, seconds agreeing with nanoseconds. */
import { udpPacket } from "../../runtime/packets.js";
import { hex, type ConformanceCase } from "./backend.js";

const packet = hex(udpPacket({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 1, dstPort: 2, payload: new Uint8Array(0) }));

/** True when two readings of ns around one of seconds are integers in order and the second lies between them. */
const CONSISTENT = `local function consistent()
  local a = time.ns() local s = time.seconds() local b = time.ns()
  return math.type(a) == "integer" and math.type(s) == "integer" and a >= 0 and a <= b
    and s >= a // 1000000000 - 1 and s <= b // 1000000000
end`;

export const cases: ConformanceCase[] = [
  {
    name: "xdp: readings are integers, never go back, and seconds agree with nanoseconds",
    target: "xdp",
    script: `${CONSISTENT}
function callback(pkt)
  local before = rcu.get("last") or 0
  local now = time.ns()
  rcu.set("last", now)
  return (consistent() and now >= before) and xdp.action.tx or xdp.action.drop
end`,
    input: { cpus: 2, calls: [{ cpu: 0, packet }, { cpu: 1, packet }, { cpu: 0, packet }] },
    expect: { calls: [{ action: 3 }, { action: 3 }, { action: 3 }] },
  },
  {
    name: "tls: the same clock",
    target: "tls",
    script: `${CONSISTENT}
function recv(msg) return consistent() and 1 or 2 end`,
    input: { calls: [{ msg: "x" }] },
    expect: { calls: [{ code: 1 }] },
  },
  {
    name: "sock: the same clock",
    target: "sock",
    script: `${CONSISTENT}
function process(buf) return consistent() end`,
    input: { calls: [{ buf: "x" }] },
    expect: { calls: [{ verdict: true }] },
  },
  {
    name: "time is read-only data of the binding: its functions take no clock of the script's",
    target: "tls",
    script: `function recv(msg) return select("#", time.ns()) + select("#", time.seconds()) end`,
    input: { calls: [{ msg: "" }] },
    expect: { calls: [{ code: 2 }] },
  },
];
