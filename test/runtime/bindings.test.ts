/** Emulator-side behaviour of the bindings that the shared conformance corpus cannot show. */
import { describe, expect, test } from "vitest";
import { ByteBuffer, DataRef } from "../../runtime/bindings/data.js";
import { Engine } from "../../runtime/engine.js";
import { HookError } from "../../runtime/errors.js";
import { lua } from "../../runtime/fengari64.js";

const run = (code: string, bytes: number[]) => {
  const engine = new Engine(code, { target: "xdp", chunkName: "b.lua" });
  return engine.state().call("callback", [new DataRef(new ByteBuffer(Uint8Array.from(bytes)))], 1)[0];
};

describe("data", () => {
  test.each([
    ["getuint32", "return pkt:getuint32(0)"],
    ["a 32-bit layout field", "return pkt:layout{v = {0, 32}}.v"],
    ["a little-endian 32-bit field", "return pkt:layout{v = {0, 32, 'little'}}.v"],
  ])("%s reads the unsigned value, at or above 2^31 too", (_, body) => {
    const code = `function callback(pkt) ${body} end`;
    expect(run(code, [0x7f, 0xff, 0xff, 0x7f])).toBe(0x7fffff7f);
    expect(run(code, [0xff, 0xff, 0xff, 0xff])).toBe(0xffffffff);
  });

  test("a data object returned to TypeScript is the same bytes the hook wrote", () => {
    const engine = new Engine(`function callback(pkt) local s = pkt:segment(1, 2) s:setuint16(0, 0xabcd) return s end`, {
      target: "xdp",
      chunkName: "b.lua",
    });
    const buf = new ByteBuffer(Uint8Array.of(1, 2, 3, 4));
    const [seg] = engine.state().call("callback", [new DataRef(buf)], 1);
    expect(seg).toBeInstanceOf(DataRef);
    expect(Array.from((seg as DataRef).view())).toEqual([0xab, 0xcd]);
    expect(Array.from(buf.bytes)).toEqual([1, 0xab, 0xcd, 4]);
  });

  test("methods check their receiver", () => {
    expect(() => run(`function callback(pkt) return pkt.getbyte({}, 0) end`, [1])).toThrow(HookError);
  });
});

describe("xdplua", () => {
  test("udp_reply needs the whole packet, not a segment of it", () => {
    expect(() => run(`function callback(pkt) return xdplua.udp_reply(pkt:segment(14), "x") end`, Array(60).fill(0))).toThrow(
      /the packet itself, not a segment/,
    );
  });
});

test("integers cross as numbers up to 2^53 and bigints beyond; what Lua cannot hold is refused without disturbing the state", () => {
  const engine = new Engine(`function callback(pkt, arg) return arg end`, { target: "xdp", chunkName: "b.lua" });
  expect(engine.state().call("callback", [1, 2 ** 40], 1)).toEqual([2 ** 40]);
  expect(engine.state().call("callback", [1, 2n ** 53n], 1)).toEqual([2n ** 53n]);
  expect(engine.state().call("callback", [1, -(2n ** 63n)], 1)).toEqual([-(2n ** 63n)]);
  expect(() => engine.state().call("callback", [1, 2 ** 60], 1)).toThrow(RangeError);
  expect(() => engine.state().call("callback", [1, 2n ** 63n], 1)).toThrow(RangeError);
  expect(() => engine.state().call("callback", [1, 1.5], 1)).toThrow(RangeError);
  expect(engine.state().call("callback", [1, 5], 1)).toEqual([5]);
  expect(lua.lua_gettop(engine.state().L)).toBe(0);
});

describe("time", () => {
  const clock = (code: string) => new Engine(code, { target: "tls", chunkName: "t.lua", states: 2 });

  test("follows the host's monotonic clock until a test sets it", () => {
    const e = clock(`function now() return time.ns() end`);
    const [a] = e.state().call("now", [], 1);
    const [b] = e.state().call("now", [], 1);
    expect(BigInt(b as number | bigint)).toBeGreaterThanOrEqual(BigInt(a as number | bigint));
  });

  test("a set clock stands still for every state, moves by advance, and seconds round down", () => {
    const e = clock(`function now() return time.ns(), time.seconds() end`);
    e.clock.set(5_999_999_999n);
    expect(e.state(0).call("now", [], 2)).toEqual([5_999_999_999, 5]);
    e.clock.advance(1);
    expect(e.state(1).call("now", [], 2)).toEqual([6_000_000_000, 6]);
    e.clock.set(2n ** 62n);
    expect(e.state(0).call("now", [], 1)).toEqual([2n ** 62n]);
    expect(() => e.clock.advance(-1)).toThrow(/never goes back/);
  });
});
