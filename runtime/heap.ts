/**
 * Live size of a Fengari state, by the sizes the same objects have in the kernel's 64-bit Lua 5.3
 * (TString 24 + len + 1, Table 56 + 32 per entry, closures 32 + 8 per upvalue, 16 per stack slot,
 * prototypes 4 per instruction, userdata 40 plus the bytes of a buffer made by data.new). Reachability is what a collector would keep: the registry (globals,
 * loaded modules), the main thread's stack and everything they reach.
 */

/* eslint-disable @typescript-eslint/no-explicit-any -- walks Fengari's untyped objects. */
const LUA_TSTRING = 4;
const LUA_TTABLE = 5;
const LUA_TFUNCTION = 6;
const LUA_TUSERDATA = 7;
const LUA_TTHREAD = 8;

export function measureLive(L: any): number {
  const seen = new Set<object>();
  let total = 0;
  const pending: any[] = [L.l_G.l_registry, L.l_G.mainthread];
  const value = (tv: any) => {
    if (tv && typeof tv.value === "object" && tv.value !== null) pending.push(tv);
  };
  while (pending.length > 0) {
    const item = pending.pop();
    const isTValue = item && typeof item.type === "number" && "value" in item;
    const type = isTValue ? item.type & 0x0f : LUA_TTHREAD;
    const obj = isTValue ? item.value : item;
    if (obj === null || typeof obj !== "object" || seen.has(obj)) continue;
    seen.add(obj);
    switch (type) {
      case LUA_TSTRING:
        total += 25 + obj.realstring.length;
        break;
      case LUA_TTABLE:
        total += 56;
        for (const e of obj.strong.values()) {
          total += 32;
          value(e.key);
          value(e.value);
        }
        if (obj.metatable) pending.push({ type: LUA_TTABLE, value: obj.metatable });
        break;
      case LUA_TFUNCTION:
        if (obj.p) {
          total += 32 + 8 * obj.nupvalues;
          for (const uv of obj.upvals) value(uv);
          pending.push({ type: 0x0f, value: obj.p });
        } else if (obj.upvalue) {
          total += 32 + 16 * obj.nupvalues;
          for (const uv of obj.upvalue) value(uv);
        }
        break;
      case 0x0f: // a function prototype (not a Lua type; pushed above)
        total += 120 + 4 * obj.code.length + 16 * obj.k.length;
        for (const k of obj.k) value(k);
        for (const p of obj.p) pending.push({ type: 0x0f, value: p });
        break;
      case LUA_TUSERDATA: {
        total += 40;
        // A data object's bytes, once per buffer, when the hook made them (a packet is not Lua memory).
        const buf = obj.ref?.buf;
        if (buf?.owned && !seen.has(buf)) {
          seen.add(buf);
          total += buf.bytes.length;
        }
        if (obj.metatable) pending.push({ type: LUA_TTABLE, value: obj.metatable });
        value(obj.uservalue);
        break;
      }
      case LUA_TTHREAD:
        total += 200 + 16 * (obj.stack ? obj.stack.length : 0);
        for (let i = 0; obj.stack && i < obj.top; i++) value(obj.stack[i]);
        break;
    }
  }
  return total;
}
