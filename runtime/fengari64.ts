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

/** The kernel's messages for the float operations (kmod/lua/kconf.h): plain Lua errors, as catchable there. */
const NO_DIV = "integer-only: '/' (use '//') is not supported";
const NO_POW = "integer-only: '^' is not supported";

const PATCHES: Patch[] = [
  // Integer arithmetic in the VM: exact 64-bit result or a fault, never a wrap.
  { file: "lvm.js", find: '"use strict";\n', replace: '"use strict";\n' + KINT },
  // The kernel builds Lua with LUA_NOCVTS2N: strings never turn into numbers implicitly ("10"+1 would be the
  // float 11.0 in stock 5.3), in arithmetic, bitwise operators or integer arguments; tonumber still parses.
  { file: "lvm.js", find: "const cvt2num = function(o) {\n    return o.ttisstring();\n};", replace: "const cvt2num = function(o) {\n    return false;\n};" },
  { file: "lvm.js", find: "setivalue((op1.value + op2.value)|0)", replace: "setivalue(kint.add(op1.value, op2.value))" },
  { file: "lvm.js", find: "setivalue((op1.value - op2.value)|0)", replace: "setivalue(kint.sub(op1.value, op2.value))" },
  { file: "lvm.js", find: "setivalue(luaV_imul(op1.value, op2.value))", replace: "setivalue(kint.mul(op1.value, op2.value))" },
  { file: "lvm.js", find: "setivalue((-op.value)|0)", replace: "setivalue(kint.unm(op.value))" },
  { file: "lvm.js", find: "return Math.floor(m / n)|0;", replace: "return kint.idiv(m, n);" },
  { file: "lvm.js", find: "setivalue(luaV_shiftl(numberop1, numberop2))", replace: "setivalue(kint.shiftl(numberop1, numberop2))" },
  { file: "lvm.js", find: "setivalue(luaV_shiftl(numberop1, -numberop2))", replace: "setivalue(kint.shiftl(numberop1, -numberop2))" },
  // Integer for-loops: the 64-bit kernel leaves the loop when the index passes the limit; 32-bit wrapping
  // would loop again. Keeping the internal counter unwrapped reproduces the kernel exactly.
  { file: "lvm.js", find: "let idx = (L.stack[ra].value + step)|0;", replace: "let idx = L.stack[ra].value + step;" },
  { file: "lvm.js", find: "init.value = (initv - pstep.value)|0;", replace: "init.value = initv - pstep.value;" },
  // The same operations through lua_arith and the parser's constant folding.
  { file: "lobject.js", find: '"use strict";\n', replace: '"use strict";\n' + KINT },
  { file: "lobject.js", find: "case LUA_OPADD:  return (v1 + v2)|0;", replace: "case LUA_OPADD:  return kint.add(v1, v2);" },
  { file: "lobject.js", find: "case LUA_OPSUB:  return (v1 - v2)|0;", replace: "case LUA_OPSUB:  return kint.sub(v1, v2);" },
  { file: "lobject.js", find: "return lvm.luaV_imul(v1, v2);", replace: "return kint.mul(v1, v2);" },
  { file: "lobject.js", find: "return lvm.luaV_shiftl(v1, v2);", replace: "return kint.shiftl(v1, v2);" },
  { file: "lobject.js", find: "return lvm.luaV_shiftl(v1, -v2);", replace: "return kint.shiftl(v1, -v2);" },
  { file: "lobject.js", find: "case LUA_OPUNM:  return (0 - v1)|0;", replace: "case LUA_OPUNM:  return kint.unm(v1);" },
  // The kernel's Lua has no floats: `/` and `^` raise the kernel's Lua error where they are (at load time
  // when constants fold), and a float numeral or string is not a number (tonumber("1.5") is nil).
  {
    file: "lvm.js",
    find: "L.stack[ra].setfltvalue(Math.pow(numberop1, numberop2));",
    replace: `ldebug.luaG_runerror(L, to_luastring(${JSON.stringify(NO_POW)}));`,
  },
  { file: "lvm.js", find: "L.stack[ra].setfltvalue(numberop1 / numberop2);", replace: `ldebug.luaG_runerror(L, to_luastring(${JSON.stringify(NO_DIV)}));` },
  // string.pack/unpack/packsize refuse the float formats, with the kernel's message (kmod/lua/klua.c).
  ...(["f", "d", "n"] as const).map((letter) => {
    const code = letter.charCodeAt(0);
    const size = letter === "f" ? 4 : 8;
    return {
      file: "lstrlib.js",
      find: `case ${code} /*'${letter}'*/: r.size = ${size}; r.opt = Kfloat; return r;`,
      replace: `case ${code} /*'${letter}'*/: return luaL_error(h.L, to_luastring("integer-only: pack format '${letter}' is not supported"));`,
    };
  }),
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
  { file: "lcode.js", find: '"use strict";\n', replace: '"use strict";\n' + KINT },
  {
    file: "lcode.js",
    find: "lobject.luaO_arith(null, op, v1, v2, res);  /* does operation */",
    // Not folding leaves the operation to run time, where it fails with its line (as Lua does for 1//0).
    replace: "try { lobject.luaO_arith(null, op, v1, v2, res); } catch (e) { if (e instanceof kint.EmulatorFault) return 0; throw e; }",
  },
  { file: "llex.js", find: '"use strict";\n', replace: '"use strict";\n' + KINT },
  {
    file: "llex.js",
    find: "if (lobject.luaO_str2num(luaZ_buffer(ls.buff), obj) === 0)  /* format error? */",
    replace:
      "let conv;\n    try { conv = lobject.luaO_str2num(luaZ_buffer(ls.buff), obj); } catch (e) { if (e instanceof kint.EmulatorFault) lexerror(ls, to_luastring(e.message), TK_INT); throw e; }\n    if (conv === 0)",
  },
  { file: "lbaselib.js", find: '"use strict";\n', replace: '"use strict";\n' + KINT },
  {
    file: "lbaselib.js",
    find: "let v = parseInt(r[1]+r[2], base);\n    if (isNaN(v)) return null;\n    return v|0;",
    replace: "return kint.parseBase(r[2], base, r[1] === '-');",
  },
  { file: "lmathlib.js", find: '"use strict";\n', replace: '"use strict";\n' + KINT },
  { file: "lmathlib.js", find: "if (n < 0) n = (-n)|0;", replace: "if (n < 0) n = kint.unm(n);" },
  // string.pack/unpack/format with the kernel's 8-byte lua_Integer, long and size_t.
  { file: "lstrlib.js", find: '"use strict";\n', replace: '"use strict";\n' + KINT },
  { file: "lstrlib.js", find: "case 108 /*'l'*/: r.size = 4;", replace: "case 108 /*'l'*/: r.size = 8;" },
  { file: "lstrlib.js", find: "case 76  /*'L'*/: r.size = 4;", replace: "case 76  /*'L'*/: r.size = 8;" },
  { file: "lstrlib.js", find: "case 106 /*'j'*/: r.size = 4;", replace: "case 106 /*'j'*/: r.size = 8;" },
  { file: "lstrlib.js", find: "case 74  /*'J'*/: r.size = 4;", replace: "case 74  /*'J'*/: r.size = 8;" },
  { file: "lstrlib.js", find: "case 84  /*'T'*/: r.size = 4;", replace: "case 84  /*'T'*/: r.size = 8;" },
  {
    file: "lstrlib.js",
    find: "case 115 /*'s'*/: r.size = getnumlimit(h, fmt, 4);",
    replace: "case 115 /*'s'*/: r.size = getnumlimit(h, fmt, 8);",
  },
  {
    file: "lstrlib.js",
    find: /if \(size < SZINT\) \{  \/\* need overflow check\? \*\/\n\s*let lim = 1 << \(size \* 8\) - 1;\n\s*luaL_argcheck\(L, -lim <= n && n < lim, arg, "integer overflow"\);\n\s*\}/,
    replace: 'luaL_argcheck(L, kint.packFits(n, size, true), arg, "integer overflow");',
  },
  {
    file: "lstrlib.js",
    find: /if \(size < SZINT\)\n\s*luaL_argcheck\(L, \(n>>>0\) < \(1 << \(size \* NB\)\), arg, "unsigned overflow"\);\n\s*packint\(b, n>>>0, h.islittle, size, false\);/,
    replace: 'luaL_argcheck(L, kint.packFits(n, size, false), arg, "unsigned overflow");\n                packint(b, n, h.islittle, size, n < 0);',
  },
  {
    file: "lstrlib.js",
    find: /const unpackint = function\(L, str, islittle, size, issigned\) \{[\s\S]*?\n\};\n/,
    replace:
      "const unpackint = function(L, str, islittle, size, issigned) {\n    let res = kint.unpackInt(str, islittle, size, issigned);\n    if (res === undefined)\n        luaL_error(L, to_luastring(\"%d-byte integer does not fit into Lua Integer\"), size);\n    return res;\n};\n",
  },
  {
    file: "lstrlib.js",
    find: "let n = luaL_checkinteger(L, arg);\n                    addlenmod(form, to_luastring(LUA_INTEGER_FRMLEN, true));\n                    luaL_addstring(b, to_luastring(sprintf(String.fromCharCode(...form), n)));",
    replace:
      "let n = luaL_checkinteger(L, arg);\n                    addlenmod(form, to_luastring(LUA_INTEGER_FRMLEN, true));\n                    let f = String.fromCharCode(...form), u = kint.formatUnsigned(f, n);\n                    luaL_addstring(b, to_luastring(u === undefined ? sprintf(f, n) : u));",
  },
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
  // Work library functions do in C loops is charged to the call's instruction budget where the kernel
  // charges it (kmod/lua/patches/lstrlib-charge.patch, klua.c's rep and move guards), at the same cost.
  {
    file: "lstrlib.js",
    find: "const match = function(ms, s, p) {\n",
    replace: "const match = function(ms, s, p) {\n    ms.L.l_G.kcharge(ms.L, 1);\n",
  },
  {
    file: "lstrlib.js",
    find: "    if (s >= ms.src_end)\n        return false;\n    else {\n        let c = ms.src[s];\n",
    replace: "    if (s >= ms.src_end)\n        return false;\n    else {\n        let c = ms.src[s];\n        ms.L.l_G.kcharge(ms.L, 1);\n",
  },
  {
    file: "lstrlib.js",
    find: "        while (++s < ms.src_end) {\n            if (ms.src[s] === e) {",
    replace: "        while (++s < ms.src_end) {\n            ms.L.l_G.kcharge(ms.L, 1);\n            if (ms.src[s] === e) {",
  },
  {
    // Plain find as C's lmemfind: each place the first byte matches, within reach of a whole match, costs 1 + (length - 1) / 32.
    file: "lstrlib.js",
    find: "    for (; (i = arr.indexOf(subarr[0], i)) !== -1; i++) {\n        if (luastring_eq",
    replace:
      "    for (; (i = arr.indexOf(subarr[0], i)) !== -1 && i <= arr.length - sl; i++) {\n        L.l_G.kcharge(L, 1 + Math.floor((sl - 1) / 32));\n        if (luastring_eq",
  },
  { file: "lstrlib.js", find: "const find_subarray = function(arr, subarr, from_index) {", replace: "const find_subarray = function(L, arr, subarr, from_index) {" },
  { file: "lstrlib.js", find: "let f = find_subarray(s.subarray(init - 1), p, 0);", replace: "let f = find_subarray(L, s.subarray(init - 1), p, 0);" },
  {
    file: "lstrlib.js",
    find: "    let n = luaL_checkinteger(L, 2);\n    let sep = luaL_optstring(L, 3, \"\");",
    replace: "    let n = luaL_checkinteger(L, 2);\n    if (n > 0) L.l_G.kcharge(L, n);\n    let sep = luaL_optstring(L, 3, \"\");",
  },
  {
    file: "ltablib.js",
    find: "    let e = luaL_checkinteger(L, 3);\n    let t = luaL_checkinteger(L, 4);",
    replace: "    let e = luaL_checkinteger(L, 3);\n    if (e >= f) L.l_G.kcharge(L, e - f + 1);\n    let t = luaL_checkinteger(L, 4);",
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
export const to_jsstring: (s: Uint8Array) => string = fengari.to_jsstring;
