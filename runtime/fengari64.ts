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
  // The pattern matcher, plain find and gsub charge the call's budget where the kernel's lstrlib does
  // (kmod/lua/patches/lstrlib-charge.patch, kmod/README.md "Safety"): each singlematch step, matchbalance step
  // and match() entry, the bytes of a plain find, the replacement template per match.
  { file: "lstrlib.js", find: "        let c = ms.src[s];\n", replace: "        let c = ms.src[s];\n        KCHARGE(ms.L, 1);\n" },
  { file: "lstrlib.js", find: "        while (++s < ms.src_end) {\n", replace: "        while (++s < ms.src_end) {\n            KCHARGE(ms.L, 1);\n" },
  { file: "lstrlib.js", find: "    let gotoinit = true;\n\n    if (ms.matchdepth-- === 0)", replace: "    let gotoinit = true;\n    KCHARGE(ms.L, 1);\n\n    if (ms.matchdepth-- === 0)" },
  {
    file: "lstrlib.js",
    find: /const find_subarray = function\(arr, subarr, from_index\) \{[\s\S]*?\n\};\n/,
    // lmemfind of lstrlib.c: only candidates where the whole pattern still fits are tried; each memchr is
    // charged the bytes it scanned, each candidate what memcmp may compare.
    replace: `const find_subarray = function(L, arr, subarr) {
    let l2 = subarr.length;
    if (l2 === 0) return 0;
    if (l2 > arr.length) return -1;
    l2--;
    const lim = arr.length - l2;
    let i = 0;
    while (i < lim) {
        const at = arr.indexOf(subarr[0], i);
        if (at === -1 || at >= lim) break;
        KCHARGE(L, Math.floor((at + 1 - i) / 16) + 1 + Math.floor(l2 / 16));
        if (luastring_eq(arr.subarray(at + 1, at + 1 + l2), subarr.subarray(1))) return at;
        i = at + 1;
    }
    KCHARGE(L, Math.floor((lim - i) / 16));
    return -1;
};
const KCHARGE = (L, cost) => { if (L.l_G.kcharge) L.l_G.kcharge(L, cost); };
`,
  },
  // gsub's string replacement: the template's walk, per match (add_s).
  {
    file: "lstrlib.js",
    find: "    let news = lua_tostring(L, 3);\n    let l = news.length;\n",
    replace: "    let news = lua_tostring(L, 3);\n    let l = news.length;\n    KCHARGE(L, Math.floor(l / 16));\n",
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
  // A call that is over (its budget ran out, `kover`) cannot be caught (kmod/lua/patches/call-over.patch): pcall
  // rethrows to the outermost protected call, no message handler runs, a coroutine does not recover from it
  // and its resumer fails with it.
  {
    file: "ldo.js",
    find: "    L.errfunc = old_errfunc;\n\n    return status;\n};",
    replace:
      "    L.errfunc = old_errfunc;\n    if (status !== LUA_OK && L.errorJmp && L.l_G.kover)\n        luaD_throw(L, status);\n\n    return status;\n};",
  },
  { file: "ldo.js", find: "while (status > LUA_YIELD && recover(L, status)) {", replace: "while (status > LUA_YIELD && !L.l_G.kover && recover(L, status)) {" },
  { file: "ldebug.js", find: "    if (L.errfunc !== 0) {  /* is there an error handling function? */", replace: "    if (L.errfunc !== 0 && !L.l_G.kover) {  /* is there an error handling function (and may it run)? */" },
  {
    file: "lcorolib.js",
    find: "        lua_xmove(co, L, 1);  /* move error message */\n        return -1;  /* error flag */",
    replace: "        lua_xmove(co, L, 1);  /* move error message */\n        if (L.l_G.kover) lua_error(L);  /* the resumer's call is over too */\n        return -1;  /* error flag */",
  },
  // No finalizers (the kernel's collector would run them outside any call's budget): setmetatable refuses a
  // metatable with a `__gc` field first, as kscript.ko's lbaselib does (kscript_lua_nogc).
  {
    file: "lbaselib.js",
    find: "const luaB_setmetatable = function(L) {\n    let t = lua_type(L, 2);\n",
    replace:
      "const luaB_setmetatable = function(L) {\n    let t = lua_type(L, 2);\n    if (t === LUA_TTABLE) {\n        lua_pushliteral(L, \"__gc\");\n        if (lua_rawget(L, 2) !== LUA_TNIL)\n            require('./lauxlib.js').luaL_argerror(L, 2, to_luastring(\"'__gc' metamethods are not supported\"));\n        lua_pop(L, 1);\n    }\n",
  },
  // C Lua's words for the C-call limit and a yield across it, as the kernel reports them.
  { file: "ldo.js", find: 'ldebug.luaG_runerror(L, to_luastring("JS stack overflow", true));', replace: 'ldebug.luaG_runerror(L, to_luastring("C stack overflow", true));' },
  { file: "ldo.js", find: 'return resume_error(L, "JS stack overflow", nargs);', replace: 'return resume_error(L, "C stack overflow", nargs);' },
  { file: "ldo.js", find: '"attempt to yield across a JS-call boundary"', replace: '"attempt to yield across a C-call boundary"' },
  // The kernel's other charges (kmod/lua/patches/*-charge.patch, klua.c's guards): string order compares at most
  // the shorter string, equality of two long strings (> 40 bytes, Lua's short-string limit) of one length
  // compares them whole (raw equality and table keys are free), each sort comparison, tonumber's scan of a
  // string, and the bytes utf8.len, codepoint, offset and codes walk. One instruction per 16 bytes.
  { file: "lvm.js", find: "const l_strcmp = function(ls, rs) {\n", replace: "const l_strcmp = function(L, ls, rs) {\n    KCHARGE(L, Math.floor(Math.min(ls.realstring.length, rs.realstring.length) / 16));\n" },
  { file: "lvm.js", find: "return l_strcmp(l.tsvalue(), r.tsvalue()) < 0 ? 1 : 0;", replace: "return l_strcmp(L, l.tsvalue(), r.tsvalue()) < 0 ? 1 : 0;" },
  { file: "lvm.js", find: "return l_strcmp(l.tsvalue(), r.tsvalue()) <= 0 ? 1 : 0;", replace: "return l_strcmp(L, l.tsvalue(), r.tsvalue()) <= 0 ? 1 : 0;" },
  {
    file: "lvm.js",
    find: "        case LUA_TLNGSTR: {\n            return luaS_eqlngstr(t1.tsvalue(), t2.tsvalue()) ? 1 : 0;",
    replace:
      "        case LUA_TLNGSTR: {\n            const klen = t1.tsvalue().realstring.length;\n            if (L !== null && klen > 40 && klen === t2.tsvalue().realstring.length) KCHARGE(L, Math.floor(klen / 16));\n            return luaS_eqlngstr(t1.tsvalue(), t2.tsvalue()) ? 1 : 0;",
  },
  { file: "lvm.js", find: "const luaV_equalobj = function(L, t1, t2) {\n", replace: "const KCHARGE = (L, cost) => { if (L.l_G.kcharge) L.l_G.kcharge(L, cost); };\nconst luaV_equalobj = function(L, t1, t2) {\n" },
  { file: "ltablib.js", find: "const sort_comp = function(L, a, b) {\n", replace: "const sort_comp = function(L, a, b) {\n    if (L.l_G.kcharge) L.l_G.kcharge(L, 1);  /* one comparison */\n" },
  {
    file: "lbaselib.js",
    find: "const luaB_tonumber = function(L) {\n",
    replace: "const luaB_tonumber = function(L) {\n    if (lua_type(L, 1) === LUA_TSTRING && L.l_G.kcharge) L.l_G.kcharge(L, Math.floor(lua_tostring(L, 1).length / 16));\n",
  },
  {
    file: "lutf8lib.js",
    find: "    while (posi <= posj) {\n        let dec = utf8_decode(s, posi);",
    replace: "    if (posi <= posj) KCHARGE(L, Math.floor((posj - posi + 1) / 16));\n    while (posi <= posj) {\n        let dec = utf8_decode(s, posi);",
  },
  {
    file: "lutf8lib.js",
    find: '    luaL_checkstack(L, n, "string slice too long");\n    n = 0;',
    replace: '    luaL_checkstack(L, n, "string slice too long");\n    KCHARGE(L, Math.floor(n / 16));\n    n = 0;',
  },
  {
    file: "lutf8lib.js",
    find: "    if (n === 0) {\n        /* find beginning of current byte sequence */",
    replace: "    const kstart = posi;\n    if (n === 0) {\n        /* find beginning of current byte sequence */",
  },
  {
    file: "lutf8lib.js",
    find: "    if (n === 0)  /* did it find given character? */",
    replace: "    KCHARGE(L, Math.floor(Math.abs(posi - kstart) / 16));\n    if (n === 0)  /* did it find given character? */",
  },
  {
    file: "lutf8lib.js",
    find: "        n++;  /* skip current byte */\n        while (iscont(s[n])) n++;  /* and its continuations */",
    replace: "        const kfrom = n;\n        n++;  /* skip current byte */\n        while (iscont(s[n])) n++;  /* and its continuations */\n        KCHARGE(L, Math.floor((n - kfrom) / 16));",
  },
  {
    file: "lutf8lib.js",
    find: "const iter_aux = function(L) {\n",
    replace: "const KCHARGE = (L, cost) => { if (L.l_G.kcharge) L.l_G.kcharge(L, cost); };\nconst iter_aux = function(L) {\n",
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
