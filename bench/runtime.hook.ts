import * as data from "kscript/data";
import type { Data } from "kscript/data";
import { get, set } from "kscript/rcu";
import { action, type Action } from "kscript/xdp";

// A small firewall: the kind of per-packet work an XDP hook does (layouts, segments, a lookup, a hash).
const eth = data.layout({ type: [96, 16] });
const ip = data.layout({ version: [0, 4], ihl: [4, 4], ttl: [64, 8], proto: [72, 8] });
const ports = data.layout({ sport: [0, 16], dport: [16, 16] });
const blocked: Record<number, boolean> = { 23: true, 445: true, 3389: true };

export function callback(pkt: Data): Action {
  if (pkt.layout(eth).type !== 0x0800) return action.pass;
  const h = pkt.segment(14)?.layout(ip);
  if (!h || h.version !== 4 || h.ihl === undefined || h.ttl === undefined) return action.drop;
  if (h.ttl <= 1) return action.drop;
  if (h.proto !== 6 && h.proto !== 17) return action.pass;
  const l4 = 14 + h.ihl * 4;
  const t = pkt.segment(l4)?.layout(ports);
  if (!t || t.dport === undefined) return action.drop;
  if (blocked[t.dport]) {
    set("blocked", ((get("blocked") as number | undefined) ?? 0) + 1);
    return action.drop;
  }
  const start = l4 + (h.proto === 6 ? 20 : 8);
  const end = Math.min(pkt.len(), start + 32);
  let hash = 0;
  for (let i = start; i < end; i++) hash = (hash * 31 + pkt.getbyte(i)) & 0xffffff;
  return hash % 7 === 0 ? action.tx : action.pass;
}
