/**
 * Generator of integer-only kscript-dialect programs, each from a numbered random stream and an index. A program
 * is a list of Lua statements (each self-contained, so the shrinker can drop any of them) that append rendered values to `out`; the runner
 * (programs.ts) wraps it into a chunk that returns one printable line. Every program terminates quickly and
 * its result is defined by Lua 5.3 itself: no iteration order of `pairs`, no `#` of a table with holes, no
 * sort with an inconsistent comparator, no floats, no string-to-number coercion (runtime/README.md lists
 * these dialect rules).
 */
export interface Program {
  stream: number;
  index: number;
  statements: string[];
}

/** xorshift-style PRNG over 32 bits: fast, and the same sequence on every machine. */
class Rng {
  private s: number;
  constructor(stream: number) {
    this.s = stream >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (this.s = x >>> 0);
  }
  int(n: number): number {
    return this.next() % n;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  chance(p: number): boolean {
    return this.next() / 2 ** 32 < p;
  }
}

/** Integer operands biased to the edges where 32-, 53- and 64-bit arithmetic part ways. */
const EDGES = [
  "0", "1", "-1", "2", "-2", "3", "7", "8", "31", "32", "33", "63", "64", "65", "127", "128", "255", "256", "-255",
  "65535", "65536", "2147483647", "2147483648", "-2147483648", "-2147483649", "4294967295", "4294967296", "-4294967296",
  "9007199254740991", "9007199254740992", "9007199254740993", "-9007199254740993", "0x7fffffffffffffff", "math.maxinteger",
  "math.mininteger", "0xffffffffffffffff", "0x8000000000000000", "0xdeadbeef", "0x811c9dc5", "1099511628211",
];

const PACK_TAILS: readonly { format: string; arg?: "string" | "integer" }[] = [
  { format: "" },
  { format: " z", arg: "string" },
  { format: " s1", arg: "string" },
  { format: " c3", arg: "string" },
  { format: " x i2", arg: "integer" },
  { format: " Xi4 j", arg: "integer" },
];

const BIN_INT = ["+", "-", "*", "//", "%", "&", "|", "~", "<<", ">>"];
const CMP = ["<", "<=", ">", ">=", "==", "~="];
const SAFE_CLASSES = ["%a", "%d", "%l", "%s", "%u", "%w", "%x", "%p", "%c", "%g", ".", "[a-c]", "[^%d]", "[%w_]", "%A", "%D", "%S", "%W"];

class Gen {
  private depth = 0;
  private vars: string[] = [];
  private svars: string[] = [];
  private n = 0;

  constructor(private readonly r: Rng) {}

  private fresh(prefix: string): string {
    return `${prefix}${this.n++}`;
  }

  int(): string {
    const r = this.r;
    if (this.depth > 3) return r.pick(EDGES);
    this.depth++;
    try {
      switch (r.int(14)) {
        case 0:
        case 1:
        case 2:
          return r.pick(EDGES);
        case 3:
          return String(r.int(1000) - 500);
        case 4:
          return this.vars.length ? r.pick(this.vars) : r.pick(EDGES);
        case 5:
        case 6:
        case 7:
          return `(${this.int()} ${r.pick(BIN_INT)} ${this.int()})`;
        case 8:
          return r.chance(0.5) ? `(-${this.int()})` : `(~${this.int()})`;
        case 9:
          return `#${this.str()}`;
        case 10:
          return r.pick([
            `math.abs(${this.int()})`,
            `math.max(${this.int()}, ${this.int()})`,
            `math.min(${this.int()}, ${this.int()}, ${this.int()})`,
            `(math.tointeger(${this.int()}) or 0)`,
            `select("#", ${this.int()}, ${this.str()})`,
            `select(-1, ${this.int()}, ${this.int()})`,
          ]);
        case 11:
          return r.pick([
            `(string.byte(${this.str()}, ${this.small()}) or -7)`,
            `(tonumber(${this.numeral()}) or -9)`,
            `(tonumber(${this.digits()}, ${r.pick(["2", "8", "16", "36", "10"])}) or -11)`,
            `(string.find(${this.str()}, ${this.pattern()}, ${this.small()}) or -13)`,
            `(string.find(${this.str()}, ${this.str()}, ${this.small()}, true) or -17)`,
            `(utf8.len(${this.str()}) or -19)`,
            `string.packsize(${this.packFormat(true)})`,
            `(string.unpack(${this.packFormat(true)}, ${this.packed()}))`,
          ]);
        case 12:
          return `(${this.bool()} and ${this.int()} or ${this.int()})`;
        default:
          return `(string.len(${this.str()}) + ${this.int()})`;
      }
    } finally {
      this.depth--;
    }
  }

  small(): string {
    return this.r.pick(["1", "2", "3", "-1", "-2", "0", "5", "-100", "100", "2147483648", "math.maxinteger", "math.mininteger"]);
  }

  numeral(): string {
    const r = this.r;
    return JSON.stringify(
      r.pick([" 42 ", "0x10", "-7", "9223372036854775807", "0xffffffffffffffff", "12abc", "", "  -0x8000000000000000", "4294967296", "0x", "+5", "- 5"]),
    );
  }

  digits(): string {
    return JSON.stringify(this.r.pick(["ff", "777", "zz", "1010", "-ff", "ffffffffffffffff", "10000000000000000", "7fffffffffffffff", "12", " 11 ", "8"]));
  }

  /** A string literal with awkward bytes: NUL, high bytes, quotes, digits after escapes. */
  literal(): string {
    const r = this.r;
    const len = r.int(6);
    let s = "";
    for (let i = 0; i < len; i++) {
      const kind = r.int(6);
      const b = kind === 0 ? r.int(256) : kind === 1 ? r.pick([0, 7, 10, 13, 34, 92, 127, 128, 200, 255, 0x70]) : r.pick([...Buffer.from("abcXYZ019 _-%.()[]")]);
      s += `\\${b}`;
    }
    return `"${s}"`;
  }

  str(): string {
    const r = this.r;
    if (this.depth > 3) return this.literal();
    this.depth++;
    try {
      switch (r.int(16)) {
        case 0:
        case 1:
        case 2:
          return this.literal();
        case 3:
          return this.svars.length ? r.pick(this.svars) : this.literal();
        case 4:
          return `(${this.str()} .. ${r.chance(0.5) ? this.str() : this.int()})`;
        case 5:
          return `string.sub(${this.str()}, ${this.small()}, ${this.small()})`;
        case 6:
          return `string.rep(${this.str()}, ${r.pick(["0", "1", "2", "3", "-1"])}, ${this.str()})`;
        case 7:
          return r.pick([
            `string.reverse(${this.str()})`,
            `string.upper(${this.str()})`,
            `string.lower(${this.str()})`,
            `math.max(${this.str()}, ${this.str()})`,
            `math.min(${this.str()}, ${this.str()}, ${this.str()})`,
          ]);
        case 8:
          return `string.char(${Array.from({ length: r.int(4) }, () => String(r.int(256))).join(", ")})`;
        case 9:
          return this.format();
        case 10:
          return this.packCall();
        case 11:
          return `(string.gsub(${this.str()}, ${this.pattern()}, ${r.pick([JSON.stringify("<%0>"), JSON.stringify("%1"), "string.upper", "{a = 'A'}", JSON.stringify("")])}, ${r.pick(["nil", "1", "2"])}))`;
        case 12:
          return `(string.match(${this.str()}, ${this.pattern()}) or "nomatch")`;
        case 13:
          return `tostring(${this.int()})`;
        case 14:
          return `utf8.char(${Array.from({ length: 1 + r.int(3) }, () => r.pick(["65", "228", "8364", "0x10FFFF", "0", "127", "128", "2047", "2048", "65535", "65536"])).join(", ")})`;
        default:
          return `table.concat({${Array.from({ length: r.int(4) }, () => (r.chance(0.5) ? this.str() : this.int())).join(", ")}}, ${this.literal()})`;
      }
    } finally {
      this.depth--;
    }
  }

  bool(): string {
    const r = this.r;
    switch (r.int(5)) {
      case 0:
        return `(${this.int()} ${r.pick(CMP)} ${this.int()})`;
      case 1:
        return `(${this.str()} ${r.pick(CMP)} ${this.str()})`;
      case 2:
        return `math.ult(${this.int()}, ${this.int()})`;
      case 3:
        return `(not ${this.int()} == ${this.int()})`;
      default:
        return `(${this.str()} == ${this.str()})`;
    }
  }

  pattern(): string {
    const r = this.r;
    let p = r.chance(0.2) ? "^" : "";
    const items = 1 + r.int(4);
    for (let i = 0; i < items; i++) {
      switch (r.int(8)) {
        case 0:
          p += `(${r.pick(SAFE_CLASSES)}${r.pick(["", "*", "+", "-", "?"])})`;
          break;
        case 1:
          p += "()";
          break;
        case 2:
          p += r.pick(["%f[%a]", "%f[%A]", "%f[%d]", "%b()", "%bab", "%1", "%0"]);
          break;
        default:
          p += r.pick(SAFE_CLASSES) + r.pick(["", "", "*", "+", "-", "?"]);
      }
    }
    if (r.chance(0.2)) p += "$";
    return JSON.stringify(p);
  }

  format(): string {
    const r = this.r;
    const n = 1 + r.int(3);
    let f = "";
    const args: string[] = [];
    for (let i = 0; i < n; i++) {
      const flags = Array.from({ length: r.int(3) }, () => r.pick(["-", "+", " ", "#", "0"])).join("");
      const width = r.chance(0.4) ? String(r.int(20)) : "";
      const precision = r.chance(0.3) ? "." + (r.chance(0.3) ? "" : String(r.int(12))) : "";
      const conv = r.pick(["d", "i", "x", "X", "o", "u", "c", "s", "q", "s", "d"]);
      const spec = conv === "q" ? "%q" : `%${flags}${width}${precision}${conv}`;
      f += (r.chance(0.3) ? "|" : "") + spec;
      args.push(conv === "s" ? (r.chance(0.7) ? this.str() : this.int()) : conv === "q" ? (r.chance(0.5) ? this.str() : this.int()) : conv === "c" ? String(r.int(300)) : this.int());
    }
    if (r.chance(0.05)) f += r.pick(["%", "%%", "%y", "%5", "%---5d"]);
    return `string.format(${JSON.stringify(f)}, ${args.join(", ")})`;
  }

  packFormat(single: boolean): string {
    const r = this.r;
    const endian = r.pick(["", "<", ">", "=", "!4", "!"]);
    const opt = r.pick(["b", "B", "h", "H", "i", "I", "l", "L", "j", "J", "T", `i${1 + r.int(16)}`, `I${1 + r.int(16)}`]);
    if (single) return JSON.stringify(endian + opt);
    // The second item takes a string or an integer: never a string where a number goes (no coercion).
    return JSON.stringify(endian + opt + r.pick(PACK_TAILS).format);
  }

  /** A format for string.pack with arguments of the types its items take. */
  packCall(): string {
    const r = this.r;
    const tail = r.pick(PACK_TAILS);
    const head = JSON.parse(this.packFormat(true)) as string;
    return `string.pack(${JSON.stringify(head + tail.format)}, ${this.int()}${tail.arg === "string" ? `, ${this.literal()}` : tail.arg === "integer" ? `, ${this.int()}` : ""})`;
  }

  /** A string to unpack: packed from an edge value, or raw bytes. */
  packed(): string {
    const r = this.r;
    if (r.chance(0.3)) return `string.rep(${this.literal()}, 4)`;
    return `string.pack(${JSON.stringify(r.pick(["<j", ">j", "<i16", ">I16", "<i9", "i4", ">I4", "<I8"]))}, ${this.int()}) .. string.rep("\\255", 8)`;
  }

  /** One self-contained statement appending to `out`. */
  statement(): string {
    const r = this.r;
    const add = (e: string) => `out[#out + 1] = res(${e})`;
    switch (r.int(21)) {
      case 0:
      case 1:
      case 2:
      case 3:
        return add(`pcall(function() return ${this.int()} end)`);
      case 4:
      case 5:
        return add(`pcall(function() return ${this.str()} end)`);
      case 6:
        return add(`pcall(function() return ${this.bool()} end)`);
      case 7: {
        const v = this.fresh("v");
        const body = `local ${v} = ${this.int()} for i = ${this.int()}, ${this.int()}, ${r.pick(["1", "-1", "3", "7", "math.maxinteger", "math.mininteger", "1 << 62"])} do ${v} = ${v} ~ i * 31 if i > 200 and i < 2147483648 then break end end return ${v}`;
        return add(`pcall(function() local n = 0 ${body.replace("do ", "do n = n + 1 if n > 40 then break end ")} end)`);
      }
      case 8: {
        // Closures and upvalues: an FNV-like accumulator over a string's bytes.
        const f = this.fresh("f");
        return add(
          `pcall(function() local function ${f}(h, p) return function(s) for k = 1, #s do h = (h ~ s:byte(k)) * p end return h end end local g = ${f}(${this.int()}, ${this.int()}) g(${this.str()}) return g(${this.str()}) end)`,
        );
      }
      case 9:
        // Varargs.
        return add(`pcall(function() local function va(...) local t = table.pack(...) return select("#", ...) * 1000 + t.n + (select(2, ...) or 0) end return va(${this.int()}, ${this.int()}, nil) end)`);
      case 10:
        // error / pcall with non-string error values.
        return add(`pcall(function() local ok, e = pcall(error, ${r.pick([this.str(), this.int(), "nil", "{}", "true"])}${r.chance(0.5) ? ", " + r.pick(["0", "1", "2"]) : ""}) return tostring(ok) .. ":" .. show(e) end)`);
      case 11:
        // Metatables.
        return add(
          `pcall(function() local mt = {__add = function(a, b) return ${this.int()} end, __lt = function(a, b) return ${this.bool()} end, __index = function(t, k) return k .. "!" end, __len = function() return ${this.int()} end, __concat = function(a, b) return "cat" end, __eq = function() return true end, __call = function(self, x) return x end} local a, b = setmetatable({}, mt), setmetatable({}, mt) return show(a + 1) .. show(a < b) .. show(a.key) .. show(#a) .. show(a .. "x") .. show(a == b) .. show(a(${this.int()})) .. show(rawequal(a, b)) .. show(rawlen({1, 2})) .. show(rawget(a, "k")) end)`,
        );
      case 12:
        // Coroutines.
        return add(
          `pcall(function() local co = coroutine.wrap(function(a) local s = a for i = 1, 3 do s = s + coroutine.yield(s) end return s * ${this.int()} end) local r = co(${this.int()}) r = co(${this.int()}) r = co(1) return r + co(2) end)`,
        );
      case 13:
        return add(
          `pcall(function() local co = coroutine.create(function(x) coroutine.yield(x, coroutine.isyieldable()) error(${this.str()}) end) local a = {coroutine.resume(co, ${this.int()})} local b = {coroutine.resume(co)} return show(a[2]) .. show(a[3]) .. show(b[1]) .. show(b[2]) .. coroutine.status(co) .. show(select(2, coroutine.running())) end)`,
        );
      case 14: {
        // Table functions on sequences (no holes).
        const items = Array.from({ length: r.int(6) }, () => this.int()).join(", ");
        return add(
          `pcall(function() local t = {${items}} table.insert(t, ${this.int()}) table.insert(t, 1, ${this.int()}) local x = table.remove(t, ${r.pick(["1", "#t", "nil", "#t + 1", "2"])}) table.sort(t${r.chance(0.5) ? ", function(a, b) return a > b end" : ""}) local d = ${r.pick(["1", "3", "2147483646", "math.maxinteger - 2", "-5"])} local m = table.move(t, ${r.pick(["1", "2", "-1", "math.maxinteger - 1"])}, ${r.pick(["#t", "2", "3"])}, d, {}) return show(x) .. table.concat(t, ",") .. show(m[d]) .. show(m[d + 1]) .. show(select("#", table.unpack(t, ${r.pick(["1", "2", "-1"])}, ${r.pick(["#t", "3", "0"])}))) end)`,
        );
      }
      case 15:
        return add(`pcall(function() return table.concat({string.unpack(${this.packFormat(false)}, ${this.packed()}, ${r.pick(["1", "2", "-4", "nil"])})}, ",") end)`);
      case 16: {
        // gmatch and utf8 iteration.
        return add(
          `pcall(function() local acc = {} for a, b in string.gmatch(${this.str()}, ${JSON.stringify(r.pick(["()(.)", "(%w+)()", "()%f[%a]", "(%d)(%d?)", "(.)%1"]))}) do acc[#acc + 1] = show(a) .. show(b) if #acc > 20 then break end end for p, c in utf8.codes(${r.pick(['"h\\u{E4}\\u{20AC}"', '"abc"', this.str()])}) do acc[#acc + 1] = p .. ":" .. c end return table.concat(acc, ";") .. show(utf8.offset(${this.str()}, ${this.small()})) .. show(utf8.codepoint(${this.str()}, 1, -1)) .. utf8.charpattern end)`,
        );
      }
      case 17: {
        const v = this.fresh("k");
        this.vars.push(v);
        return `local ${v} = ${r.pick(EDGES)}`;
      }
      case 18: {
        const v = this.fresh("s");
        this.svars.push(v);
        return `local ${v} = ${this.literal()}`;
      }
      case 19:
        // The rest of the base library.
        return add(
          `pcall(function() local t = setmetatable({}, {__metatable = ${this.int()}}) local ok, e = xpcall(function() assert(${this.bool()}, ${this.str()}) return "passed" end, function(m) return "handled " .. show(m) end) local u = {} rawset(u, ${this.int()}, ${this.str()}) local k, v = next(u) return show(getmetatable(t)) .. show(getmetatable("")) .. type(t) .. math.type(${this.int()}) .. show(math.type("1")) .. show(ok) .. show(e) .. show(k) .. show(v) .. show(next({})) end)`,
        );
      default:
        // Table keys: byte strings and integers across 2^31, 2^53, 2^63 stay distinct.
        return add(
          `pcall(function() local t, n = {}, 0 for _, k in ipairs({${this.literal()}, ${this.literal()}, "\\7\\0", "p", ${this.int()}, ${this.int()}, 2147483648, 4294967296, -2147483648, math.mininteger}) do if t[k] == nil then n = n + 1 end t[k] = (t[k] or 0) + 1 end local c = 0 for k, v in pairs(t) do c = c + v end return n * 100 + c end)`,
        );
    }
  }
}

export function generate(stream: number, index: number): Program {
  const r = new Rng((stream * 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b));
  const g = new Gen(r);
  const statements = Array.from({ length: 2 + r.int(7) }, () => g.statement());
  return { stream, index, statements };
}
