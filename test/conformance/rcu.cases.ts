/** `rcu`: one table for all per-CPU states and user space, with the documented key and value rules. */
import { udpPacket } from "../../runtime/packets.js";
import { hex, type ConformanceCase } from "./backend.js";

const packet = hex(udpPacket({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 1, dstPort: 2, payload: new Uint8Array(0) }));

export const cases: ConformanceCase[] = [
  {
    name: "every CPU's state sees and updates the same table",
    target: "xdp",
    script: `function callback(pkt)
  rcu.set("hits", (rcu.get("hits") or 0) + 1)
  return xdp.action.pass
end`,
    input: { cpus: 2, calls: [{ cpu: 0, packet }, { cpu: 1, packet }, { cpu: 1, packet }], readRcu: ["hits"] },
    expect: { calls: [{ action: 2 }, { action: 2 }, { action: 2 }], rcu: { hits: 3 } },
  },
  {
    name: "user space writes entries the hook reads",
    target: "xdp",
    script: `function callback(pkt)
  if rcu.get("mode") == "block" and rcu.get("enabled") == true and rcu.get(7) == 42 then return xdp.action.drop end
  return xdp.action.pass
end`,
    input: { rcu: { mode: "block", enabled: true }, calls: [{ packet }] },
    expect: { calls: [{ action: 2 }] },
  },
  {
    name: "values keep their types; nil removes; integer and string keys are distinct",
    target: "xdp",
    script: `function callback(pkt)
  rcu.set("s", "text") rcu.set("i", -5) rcu.set("b", false) rcu.set(1, "one") rcu.set("1", "string one")
  rcu.set("gone", 1) rcu.set("gone", nil)
  local ok = rcu.get("s") == "text" and math.type(rcu.get("i")) == "integer" and rcu.get("b") == false
    and rcu.get(1) == "one" and rcu.get("1") == "string one" and rcu.get("gone") == nil and rcu.get("never") == nil
  return ok and xdp.action.tx or xdp.action.drop
end`,
    input: { calls: [{ packet }], readRcu: ["s", "i", "b", "gone"] },
    expect: { calls: [{ action: 3 }], rcu: { s: "text", i: -5, b: false, gone: null } },
  },
  {
    name: "keys are 1..255-byte strings or integers; values at most 4096 bytes; no tables or functions",
    target: "xdp",
    script: `function callback(pkt)
  local refused = 0
  for _, args in ipairs{ {{}, 1}, {"", 1}, {string.rep("k", 256), 1}, {"t", {}}, {"f", print}, {"long", string.rep("v", 4097)} } do
    if not pcall(rcu.set, args[1], args[2]) then refused = refused + 1 end
  end
  rcu.set(string.rep("k", 255), string.rep("v", 4096))
  return refused
end`,
    input: { calls: [{ packet }] },
    expect: { calls: [{ action: 6 }] },
  },
  {
    name: "a table holds at most 4096 entries; replacing and removing still work when full",
    target: "xdp",
    script: `function callback(pkt)
  for i = 1, 4096 do rcu.set(i, i) end
  rcu.set(1, "replaced")
  rcu.set(2, nil)
  rcu.set("again", 1)
  rcu.set("one-too-many", 1)
  return xdp.action.pass
end`,
    input: { calls: [{ packet }], readRcu: ["again"] },
    expect: { calls: [{ error: "rcu table is full (4096 entries)", action: 2 }], rcu: { again: 1 } },
  },
];
