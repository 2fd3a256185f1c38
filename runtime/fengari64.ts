/**
 * Fengari with the kernel's integer semantics and memory accounting. Fengari 0.1.5 (pinned) is loaded from
 * its own sources with a small set of textual patches applied in memory — no postinstall, no copy on disk.
 * Each patch must match exactly once, so a Fengari upgrade fails loudly here instead of silently running
 * unpatched. What each patch guarantees is listed in runtime/README.md.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { compileFunction } from "node:vm";
import * as kint from "./kint.js";

interface Patch {
  file: string;
  find: string | RegExp;
  replace: string;
}

const KINT = "const kint = require('./kscript-int.js');\n";

/**
 * Library arguments that are positions or counts (string.sub, select, utf8.offset, …) read as JS numbers
 * (kint.pos): these libraries only compare them with lengths. Functions that need the exact 64-bit
 * argument are replaced in runtime/libs instead. Count of call sites per file, so an upgrade fails loudly.
 */
const POSITION_ARGS: Record<string, number> = { "lbaselib.js": 5, "lstrlib.js": 14, "lutf8lib.js": 7 };
const POSITION_ARG = /\bluaL_(check|opt)integer\(/g;
const POSITION_PRELUDE =
  "const kpos_check = (L, a) => kint.pos(require('./lauxlib.js').luaL_checkinteger(L, a));\n" +
  "const kpos_opt = (L, a, d) => kint.pos(require('./lauxlib.js').luaL_optinteger(L, a, d));\n";

/** The kernel's messages for the float operations (kmod/lua/kconf.h): plain Lua errors, as catchable there. */
const NO_DIV = "integer-only: '/' (use '//') is not supported";
const NO_POW = "integer-only: '^' is not supported";

const PATCHES: Patch[] = [
  // Integer arithmetic in the VM: the exact 64-bit result, wrapped as C wraps it (kint.ts).
  { file: "lvm.js", find: '"use strict";\n', replace: '"use strict";\n' + KINT },
  // The kernel builds Lua with LUA_NOCVTS2N: strings never turn into numbers implicitly ("10"+1 would be the
  // float 11.0 in stock 5.3), in arithmetic, bitwise operators or integer arguments; tonumber still parses.
  { file: "lvm.js", find: "const cvt2num = function(o) {\n    return o.ttisstring();\n};", replace: "const cvt2num = function(o) {\n    return false;\n};" },
  { file: "lvm.js", find: "setivalue((op1.value + op2.value)|0)", replace: "setivalue(kint.add(op1.value, op2.value))" },
  { file: "lvm.js", find: "setivalue((op1.value - op2.value)|0)", replace: "setivalue(kint.sub(op1.value, op2.value))" },
  { file: "lvm.js", find: "setivalue(luaV_imul(op1.value, op2.value))", replace: "setivalue(kint.mul(op1.value, op2.value))" },
  { file: "lvm.js", find: "setivalue((-op.value)|0)", replace: "setivalue(kint.unm(op.value))" },
  { file: "lvm.js", find: "setivalue(~op.value)", replace: "setivalue(kint.bnot(op.value))" },
  { file: "lvm.js", find: "setivalue(numberop1 & numberop2)", replace: "setivalue(kint.band(numberop1, numberop2))" },
  { file: "lvm.js", find: "setivalue(numberop1 | numberop2)", replace: "setivalue(kint.bor(numberop1, numberop2))" },
  { file: "lvm.js", find: "setivalue(numberop1 ^ numberop2)", replace: "setivalue(kint.bxor(numberop1, numberop2))" },
  { file: "lvm.js", find: "return Math.floor(m / n)|0;", replace: "return kint.idiv(m, n);" },
  { file: "lvm.js", find: "return (m - Math.floor(m / n) * n)|0;", replace: "return kint.mod(m, n);" },
  { file: "lvm.js", find: "setivalue(luaV_shiftl(numberop1, numberop2))", replace: "setivalue(kint.shiftl(numberop1, numberop2))" },
  { file: "lvm.js", find: "setivalue(luaV_shiftl(numberop1, -numberop2))", replace: "setivalue(kint.shiftl(numberop1, kint.unm(numberop2)))" },
  // The kernel's Lua has no floats: `/` and `^` raise the kernel's Lua error where they are (at load time
  // when constants fold), and a float numeral or string is not a number (tonumber("1.5") is nil).
  {
    file: "lvm.js",
    find: "L.stack[ra].setfltvalue(Math.pow(numberop1, numberop2));",
    replace: `ldebug.luaG_runerror(L, to_luastring(${JSON.stringify(NO_POW)}));`,
  },
  { file: "lvm.js", find: "L.stack[ra].setfltvalue(numberop1 / numberop2);", replace: `ldebug.luaG_runerror(L, to_luastring(${JSON.stringify(NO_DIV)}));` },
  // Integer for-loops step with C's wrap-around, as lvm.c's OP_FORLOOP does.
  { file: "lvm.js", find: "let idx = (L.stack[ra].value + step)|0;", replace: "let idx = kint.add(L.stack[ra].value, step);" },
  { file: "lvm.js", find: "init.value = (initv - pstep.value)|0;", replace: "init.value = kint.sub(initv, pstep.value);" },
  // The same operations through lua_arith and the parser's constant folding.
  { file: "lobject.js", find: '"use strict";\n', replace: '"use strict";\n' + KINT },
  {
    file: "lobject.js",
    find: /const intarith = function\(L, op, v1, v2\) \{[\s\S]*?\n\};\n/,
    replace: `const intarith = function(L, op, v1, v2) {
    switch (op) {
        case LUA_OPADD:  return kint.add(v1, v2);
        case LUA_OPSUB:  return kint.sub(v1, v2);
        case LUA_OPMUL:  return kint.mul(v1, v2);
        case LUA_OPMOD:  return lvm.luaV_mod(L, v1, v2);
        case LUA_OPIDIV: return lvm.luaV_div(L, v1, v2);
        case LUA_OPBAND: return kint.band(v1, v2);
        case LUA_OPBOR:  return kint.bor(v1, v2);
        case LUA_OPBXOR: return kint.bxor(v1, v2);
        case LUA_OPSHL:  return kint.shiftl(v1, v2);
        case LUA_OPSHR:  return kint.shiftl(v1, kint.unm(v2));
        case LUA_OPUNM:  return kint.unm(v1);
        case LUA_OPBNOT: return kint.bnot(v1);
        default: lua_assert(0);
    }
};
`,
  },
  // Integers cross the C API and index tables in either canonical form.
  { file: "lapi.js", find: '"use strict";\n', replace: '"use strict";\n' + KINT },
  { file: "lapi.js", find: "fengari_argcheck(typeof n === \"number\" && (n|0) === n);", replace: "fengari_argcheck(kint.isInt(n));" },
  { file: "ltable.js", find: '"use strict";\n', replace: '"use strict";\n' + KINT },
  { file: "ltable.js", find: "lua_assert(typeof key == \"number\" && (key|0) === key);", replace: "lua_assert(kint.isInt(key));" },
  {
    file: "ltable.js",
    find: "lua_assert(typeof key == \"number\" && (key|0) === key && value instanceof lobject.TValue);",
    replace: "lua_assert(kint.isInt(key) && value instanceof lobject.TValue);",
  },
  // Strings are table keys, constants and sort keys through this "hash": two hex digits per byte, so it is
  // one-to-one (one digit for bytes < 16 made "\\7\\0" and "p" the same key) and orders like memcmp.
  { file: "lstring.js", find: "s += str[i].toString(16);", replace: "s += HEX[str[i]];" },
  {
    file: "lstring.js",
    find: "const luaS_hash = function(str) {",
    replace: "const HEX = Array.from({ length: 256 }, (_, b) => (b < 16 ? \"0\" : \"\") + b.toString(16));\nconst luaS_hash = function(str) {",
  },
  {
    // Constants are folded without a Lua state to raise in, so `/` and `^` of constants are left to run time.
    file: "lcode.js",
    find: "        case LUA_OPDIV: case LUA_OPIDIV: case LUA_OPMOD:  /* division by 0 */",
    replace: "        case LUA_OPDIV: case 4 /* LUA_OPPOW, not imported here */: return false;\n        case LUA_OPIDIV: case LUA_OPMOD:  /* division by 0 */",
  },
  { file: "lobject.js", find: "case LUA_OPDIV:  return v1 / v2;", replace: `case LUA_OPDIV:  return ldebug.luaG_runerror(L, to_luastring(${JSON.stringify(NO_DIV)}));` },
  { file: "lobject.js", find: "case LUA_OPPOW:  return Math.pow(v1, v2);", replace: `case LUA_OPPOW:  return ldebug.luaG_runerror(L, to_luastring(${JSON.stringify(NO_POW)}));` },
  { file: "lobject.js", find: "s2i = l_str2d(s);", replace: "s2i = null;" },
  // Numerals and string->number conversions (literals, tonumber, coercions) with 64-bit rules.
  { file: "lobject.js", find: "let s2i = l_str2int(s);", replace: "let s2i = kint.str2int(s) || null;" },
  { file: "lbaselib.js", find: '"use strict";\n', replace: '"use strict";\n' + KINT },
  {
    file: "lbaselib.js",
    find: "let v = parseInt(r[1]+r[2], base);\n    if (isNaN(v)) return null;\n    return v|0;",
    replace: "return kint.parseBase(r[2], base, r[1] === '-');",
  },
  { file: "lmathlib.js", find: '"use strict";\n', replace: '"use strict";\n' + KINT },
  { file: "lmathlib.js", find: "if (n < 0) n = (-n)|0;", replace: "if (n < 0) n = kint.unm(n);" },
  { file: "lmathlib.js", find: "lua_pushboolean(L, (a >= 0)?(b<0 || a<b):(b<0 && a<b));", replace: "lua_pushboolean(L, kint.ult(a, b));" },
  { file: "lmathlib.js", find: "lua_pushinteger(L, LUA_MAXINTEGER);", replace: "lua_pushinteger(L, kint.MAXINTEGER);" },
  { file: "lmathlib.js", find: "lua_pushinteger(L, LUA_MININTEGER);", replace: "lua_pushinteger(L, kint.MININTEGER);" },
  { file: "lstrlib.js", find: '"use strict";\n', replace: '"use strict";\n' + KINT },
  { file: "lutf8lib.js", find: '"use strict";\n', replace: '"use strict";\n' + KINT },
  // The pattern matcher and plain find charge the call's budget where the kernel's lstrlib does
  // (kmod/lua/patches/lstrlib-charge.patch): each singlematch step, matchbalance step and match() entry,
  // and 1 + (pattern length - 1) / 32 per candidate of a plain find.
  { file: "lstrlib.js", find: "        let c = ms.src[s];\n", replace: "        let c = ms.src[s];\n        KCHARGE(ms.L, 1);\n" },
  { file: "lstrlib.js", find: "        while (++s < ms.src_end) {\n", replace: "        while (++s < ms.src_end) {\n            KCHARGE(ms.L, 1);\n" },
  { file: "lstrlib.js", find: "    let gotoinit = true;\n\n    if (ms.matchdepth-- === 0)", replace: "    let gotoinit = true;\n    KCHARGE(ms.L, 1);\n\n    if (ms.matchdepth-- === 0)" },
  {
    file: "lstrlib.js",
    find: /const find_subarray = function\(arr, subarr, from_index\) \{[\s\S]*?\n\};\n/,
    // lmemfind of lstrlib.c: only candidates where the whole pattern still fits are tried (and charged).
    replace: `const find_subarray = function(L, arr, subarr) {
    let l2 = subarr.length;
    if (l2 === 0) return 0;
    if (l2 > arr.length) return -1;
    l2--;
    const lim = arr.length - l2;
    for (let i = 0; i < lim && (i = arr.indexOf(subarr[0], i)) !== -1 && i < lim; i++) {
        KCHARGE(L, 1 + Math.floor(l2 / 32));
        if (luastring_eq(arr.subarray(i + 1, i + 1 + l2), subarr.subarray(1))) return i;
    }
    return -1;
};
const KCHARGE = (L, cost) => { if (L.l_G.kcharge) L.l_G.kcharge(L, cost); };
`,
  },
  { file: "lstrlib.js", find: "let f = find_subarray(s.subarray(init - 1), p, 0);", replace: "let f = find_subarray(L, s.subarray(init - 1), p);" },
  // A back-reference to a position capture never matches: C compares its length (CAP_POSITION) as a size_t.
  { file: "lstrlib.js", find: "if ((ms.src_end-s) >= len && array_cmp(", replace: "if (len >= 0 && (ms.src_end-s) >= len && array_cmp(" },
  { file: "lstrlib.js", find: "malformed pattern (missing arguments to '%%b'\"", replace: "malformed pattern (missing arguments to '%%b')\"" },
  // A match ending at index 0 (an empty match at the start, e.g. a frontier after a greedy item that
  // matched nothing) is a match: C returns a pointer, Fengari an index, and 0 is falsy.
  { file: "lstrlib.js", find: "        if (res) return res;", replace: "        if (res !== null) return res;" },
  // A fault thrown from inside Fengari (kint, the memory meter, a JS stack overflow) becomes an ordinary
  // Lua runtime error raised at the faulting instruction, through the state's `kfault` (engine.ts).
  { file: "ldo.js", find: '"use strict";\n', replace: '"use strict";\n' + KINT },
  {
    file: "ldo.js",
    find: "    } catch (e) {\n        if (lj.status === LUA_OK) {\n            /* error was not thrown via luaD_throw",
    replace:
      "    } catch (e) {\n        if (lj.status === LUA_OK && L.l_G.kfault && (e instanceof kint.EmulatorFault || e instanceof RangeError)) {\n            try { L.l_G.kfault(L, e); } catch (e3) { if (e3 !== lj) throw e3; }\n        }\n        if (lj.status === LUA_OK) {\n            /* error was not thrown via luaD_throw",
  },
  // The Lua stack limit the kernel module uses too (see README): deep recursion fails as "stack overflow".
  { file: "luaconf.js", find: "const LUAI_MAXSTACK = conf.LUAI_MAXSTACK || 1000000;", replace: "const LUAI_MAXSTACK = 100000;" },
  // Memory accounting: every string, table, table entry and Lua closure reports its kernel-side size to the
  // state's meter (engine.ts), which enforces the cap.
  {
    file: "lstring.js",
    find: "return new TString(L, str);",
    replace: "if (L && L.l_G.kmeter) L.l_G.kmeter.alloc(25 + str.length);\n    return new TString(L, str);",
  },
  {
    file: "ltable.js",
    find: "this.flags = ~0;",
    replace: "this.flags = ~0;\n        this.kmeter = L.l_G.kmeter;\n        if (this.kmeter) this.kmeter.alloc(56);",
  },
  { file: "ltable.js", find: "const add = function(t, hash, key, value) {\n", replace: "const add = function(t, hash, key, value) {\n    if (t.kmeter) t.kmeter.alloc(32);\n" },
  {
    file: "lobject.js",
    find: "this.upvals = new Array(n);",
    replace: "if (L.l_G.kmeter) L.l_G.kmeter.alloc(32 + 8 * n);\n        this.upvals = new Array(n);",
  },
  {
    file: "ldo.js",
    find: "L.stack.length = newsize;",
    // Only noted: raising here would need stack space to report the error.
    replace: "if (L.l_G.kmeter && newsize > L.stack.length) L.l_G.kmeter.note(16 * (newsize - L.stack.length));\n    L.stack.length = newsize;",
  },
  {
    file: "lauxlib.js",
    find: "let newbuff = new Uint8Array(newsize);",
    replace: "if (B.L.l_G.kmeter) B.L.l_G.kmeter.reserve(newsize);\n        let newbuff = new Uint8Array(newsize);",
  },
];

/**
 * Speed, not semantics: Fengari pops stack slots with `delete`, which turns the stack array into a slow
 * holey/dictionary array after a few calls; storing undefined keeps the same meaning (slots above the top
 * are dead) on a fast array. Nothing reads a slot above the top without writing it first.
 */
const STACK_DELETE = /delete ([\w.]+\.stack\[[^\]]+\]);/g;
const STACK_DELETES = 29;
let stackDeletes = 0;

function applyPatches(file: string, source: string): string {
  let out = source.replace(STACK_DELETE, (_, slot: string) => {
    stackDeletes++;
    return `${slot} = void 0;`;
  });
  if (file in POSITION_ARGS) {
    let count = 0;
    out = out.replace(POSITION_ARG, (_, kind: string) => {
      count++;
      return `kpos_${kind}(`;
    });
    if (count !== POSITION_ARGS[file]) throw new Error(`fengari64: ${count} position arguments in ${file}, expected ${POSITION_ARGS[file]}`);
    out = out.replace('"use strict";\n', () => '"use strict";\n' + POSITION_PRELUDE);
  }
  for (const p of PATCHES.filter((x) => x.file === file)) {
    const count =
      typeof p.find === "string" ? out.split(p.find).length - 1 : (out.match(new RegExp(p.find, "g")) ?? []).length;
    if (count !== 1) throw new Error(`fengari64: patch for ${file} matched ${count} times: ${String(p.find).slice(0, 80)}`);
    out = out.replace(p.find, () => p.replace);
  }
  return out;
}

type Exports = Record<string, unknown>;

function loadPatchedFengari(): Exports {
  const hostRequire = createRequire(import.meta.url);
  const srcDir = join(dirname(hostRequire.resolve("fengari/package.json")), "src");
  const fengariRequire = createRequire(join(srcDir, "fengari.js"));
  const modules = new Map<string, { exports: Exports }>();
  modules.set("kscript-int.js", { exports: kint as unknown as Exports });
  const load = (name: string): Exports => {
    const cached = modules.get(name);
    if (cached) return cached.exports;
    const filename = join(srcDir, name);
    const module = { exports: {} as Exports };
    modules.set(name, module); // before running: Fengari's modules require each other in cycles
    const fn = compileFunction(applyPatches(name, readFileSync(filename, "utf8")), ["module", "exports", "require"], {
      filename,
    });
    fn(module, module.exports, (spec: string) => (spec.startsWith("./") ? load(spec.slice(2)) : fengariRequire(spec)));
    return module.exports;
  };
  const root = load("fengari.js");
  for (const file of ["lapi.js", "ldebug.js", "ldo.js", "lparser.js", "ltm.js", "lvm.js"]) load(file);
  if (stackDeletes !== STACK_DELETES) throw new Error(`fengari64: ${stackDeletes} stack deletes rewritten, expected ${STACK_DELETES}`);
  for (const file of new Set(PATCHES.map((p) => p.file))) {
    if (!modules.has(file)) throw new Error(`fengari64: ${file} was never loaded, its patches are missing`);
  }
  return { ...root, ldebug: load("ldebug.js") };
}

/* eslint-disable @typescript-eslint/no-explicit-any -- Fengari is untyped JavaScript. */
export const fengari = loadPatchedFengari() as any;
export const lua = fengari.lua;
export const lauxlib = fengari.lauxlib;
export const lualib = fengari.lualib;
export const to_luastring: (s: string) => Uint8Array = fengari.to_luastring;
export const to_jsstring: (s: Uint8Array, from?: number, to?: number, replacement?: boolean) => string = fengari.to_jsstring;
