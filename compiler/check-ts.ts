/**
 * The TypeScript-level check: rejects, with the TypeScript location and a fix, everything that would give a
 * hook floats, file or process access, dynamic globals or modules the kernel cannot have. What slips past
 * (code TSTL writes itself, lualib helpers) is caught again on the final Lua by check-lua.
 */
import ts from "./typescript.cjs";
import {
  BINDINGS,
  FORBIDDEN_GLOBALS,
  GLOBAL_MODULES,
  INT64_MAX,
  INTRINSIC_MODULES,
  JS_MATH_MEMBERS,
  TYPE_MODULES,
  type Target,
} from "../common/dialect.js";
import { diagnostic, type Code, type Diagnostic } from "../common/diagnostics.js";

/** JavaScript runtime values that TSTL compiles and that stay integer-clean under kscript's lualib. */
const SUPPORTED_JS_GLOBALS = new Set([
  "Math",
  "Number",
  "String",
  "Boolean",
  "Array",
  "Map",
  "Set",
  "WeakMap",
  "WeakSet",
  "Object",
  "Symbol",
  "Error",
  "TypeError",
  "RangeError",
  "ReferenceError",
  "SyntaxError",
  "console",
  "parseInt",
  "isNaN",
  "undefined",
  "Promise",
]);

const UNSUPPORTED_JS_HINTS: Record<string, string> = {
  Date: "A hook has no wall clock.",
  JSON: "Parse or build the bytes yourself with 'kscript/string'.",
  RegExp: "Use Lua patterns: match/find/gsub from 'kscript/string'.",
  eval: "Code cannot be compiled at run time in a hook.",
  Function: "Code cannot be compiled at run time in a hook.",
  Uint8Array: "Use a data view from 'kscript/data' or a number[].",
  ArrayBuffer: "Use a data view from 'kscript/data' or a number[].",
  DataView: "Use a data view from 'kscript/data'.",
  isFinite: "Every kscript number is a finite integer.",
};

const FLOAT_CONSTANT_HINTS: Record<string, string> = {
  Infinity: "Use maxinteger from 'kscript/math' as a bound.",
  NaN: "kscript represents 'not a number' as undefined (nil in Lua).",
  POSITIVE_INFINITY: "Use maxinteger from 'kscript/math' as a bound.",
  NEGATIVE_INFINITY: "Use mininteger from 'kscript/math' as a bound.",
  EPSILON: "Integers need no epsilon: compare them exactly.",
  MIN_VALUE: "Use 1, the smallest positive integer.",
  MAX_VALUE: "Use maxinteger from 'kscript/math'.",
  MAX_SAFE_INTEGER: "Every 64-bit integer is exact in kscript: use maxinteger from 'kscript/math'.",
  MIN_SAFE_INTEGER: "Every 64-bit integer is exact in kscript: use mininteger from 'kscript/math'.",
};

const FLOAT_CONVERSIONS: Record<string, string> = {
  parseFloat: "Use parseInt(s, 10); it returns undefined when s holds no integer.",
  toFixed: "Format integers with String(n) or format('%d', n) from 'kscript/string'.",
  toPrecision: "Format integers with String(n) or format('%d', n) from 'kscript/string'.",
  toExponential: "Format integers with String(n) or format('%d', n) from 'kscript/string'.",
};

const UINT64_MAX = (1n << 64n) - 1n;

/**
 * The exact value of a numeric literal's text, or undefined if it is not an integer. Hex, octal and binary
 * literals may use all 64 bits (they wrap to negative values, as in Lua and C).
 */
export function integerValue(text: string): bigint | undefined {
  const t = text.replace(/_/g, "");
  if (/^0[xXoObB]/.test(t)) return BigInt(t);
  const m = /^(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(t);
  if (!m) return undefined;
  const digits = (m[1] || "0") + (m[2] ?? "");
  const exponent = Number(m[3] ?? 0) - (m[2]?.length ?? 0);
  let value = BigInt(digits);
  if (exponent >= 0) return value * 10n ** BigInt(exponent);
  const divisor = 10n ** BigInt(-exponent);
  if (value % divisor !== 0n) return undefined;
  value /= divisor;
  return value;
}

/**
 * The division `a / b` when `call` is `Math.floor(a / b)` (parentheses allowed), JavaScript's own Math: the
 * one spelling of integer division besides idiv, compiled to `a // b`.
 */
export function mathFloorDivision(call: ts.CallExpression, program: ts.Program): ts.BinaryExpression | undefined {
  const callee = call.expression;
  if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== "floor" || call.arguments.length !== 1) return undefined;
  if (!ts.isIdentifier(callee.expression) || callee.expression.text !== "Math") return undefined;
  const declarations = program.getTypeChecker().getSymbolAtLocation(callee.expression)?.declarations;
  if (!declarations?.length || !declarations.every((d) => program.isSourceFileDefaultLibrary(d.getSourceFile()))) return undefined;
  const arg = skipParens(call.arguments[0]);
  return ts.isBinaryExpression(arg) && arg.operatorToken.kind === ts.SyntaxKind.SlashToken ? arg : undefined;
}

export interface ModuleKinds {
  /** `kscript/<name>` modules that are bundled TypeScript helpers (stdlib/<name>.ts). */
  helperModules: ReadonlySet<string>;
}

export function checkSourceFile(
  sourceFile: ts.SourceFile,
  checker: ts.TypeChecker,
  program: ts.Program,
  target: Target | "module",
  kinds: ModuleKinds,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report = (node: ts.Node, code: Code, ...args: (string | number)[]) => {
    const start = node.getStart(sourceFile);
    const { line, character } = sourceFile.getLineAndCharacterOfPosition(start);
    out.push(diagnostic(code, args, { file: sourceFile.fileName, line: line + 1, column: character + 1, length: node.getEnd() - start }));
  };

  const isFromDefaultLib = (symbol: ts.Symbol | undefined) =>
    !!symbol?.declarations?.length &&
    symbol.declarations.every((d) => program.isSourceFileDefaultLibrary(d.getSourceFile()));

  /** True when every declaration is ambient: the name only exists because something declared it. */
  const isAmbientOnly = (symbol: ts.Symbol | undefined) =>
    !symbol?.declarations?.length ||
    symbol.declarations.every(
      (d) =>
        d.getSourceFile().isDeclarationFile ||
        (ts.getCombinedModifierFlags(d as ts.Declaration) & ts.ModifierFlags.Ambient) !== 0 ||
        isInAmbientContext(d),
    );

  const checkModuleSpecifier = (spec: ts.Expression) => {
    if (!ts.isStringLiteral(spec)) return;
    const name = spec.text;
    if (name.startsWith("./") || name.startsWith("../")) return;
    const m = /^kscript\/(.+)$/.exec(name);
    if (!m) return report(spec, "KS1009", name);
    const sub = m[1];
    if (INTRINSIC_MODULES.includes(sub) || TYPE_MODULES.includes(sub) || kinds.helperModules.has(sub)) return;
    if (!GLOBAL_MODULES.includes(sub)) {
      const all = [...GLOBAL_MODULES, ...INTRINSIC_MODULES, ...TYPE_MODULES, ...kinds.helperModules].sort().map((n) => `kscript/${n}`);
      return report(spec, "KS1018", name, all.join(", "));
    }
    const targets = BINDINGS[sub]?.targets;
    if (targets && target !== "module" && !targets.includes(target)) {
      report(spec, "KS1014", sub, target, targets.join(", "));
    }
  };

  const isMathFloorOfDivision = (node: ts.BinaryExpression): boolean => {
    let parent = node.parent;
    while (ts.isParenthesizedExpression(parent)) parent = parent.parent;
    return ts.isCallExpression(parent) && mathFloorDivision(parent, program) === node;
  };

  const visit = (node: ts.Node): void => {
    switch (node.kind) {
      case ts.SyntaxKind.NumericLiteral: {
        const text = node.getText(sourceFile);
        const value = integerValue(text);
        if (value === undefined) report(node, "KS1001", text);
        else if (value > (/^0[xXoObB]/.test(text) ? UINT64_MAX : INT64_MAX)) report(node, "KS1002", text);
        break;
      }
      case ts.SyntaxKind.BigIntLiteral:
        report(node, "KS1017");
        break;
      case ts.SyntaxKind.BinaryExpression: {
        const b = node as ts.BinaryExpression;
        const op = b.operatorToken.kind;
        if (op === ts.SyntaxKind.SlashToken && !isMathFloorOfDivision(b)) report(b.operatorToken, "KS1003");
        else if (op === ts.SyntaxKind.SlashEqualsToken) report(b.operatorToken, "KS1004");
        else if (op === ts.SyntaxKind.AsteriskAsteriskToken || op === ts.SyntaxKind.AsteriskAsteriskEqualsToken)
          report(b.operatorToken, "KS1005", b.operatorToken.getText(sourceFile));
        else if (op === ts.SyntaxKind.GreaterThanGreaterThanEqualsToken) report(b.operatorToken, "KS1016", ">>=", ">>");
        else if (op === ts.SyntaxKind.GreaterThanGreaterThanGreaterThanEqualsToken)
          report(b.operatorToken, "KS1016", ">>>=", ">>>");
        break;
      }
      case ts.SyntaxKind.ImportDeclaration:
        checkModuleSpecifier((node as ts.ImportDeclaration).moduleSpecifier);
        break;
      case ts.SyntaxKind.ExportDeclaration: {
        const spec = (node as ts.ExportDeclaration).moduleSpecifier;
        if (spec) checkModuleSpecifier(spec);
        break;
      }
      case ts.SyntaxKind.ImportEqualsDeclaration: {
        const ref = (node as ts.ImportEqualsDeclaration).moduleReference;
        if (ts.isExternalModuleReference(ref)) checkModuleSpecifier(ref.expression);
        break;
      }
      case ts.SyntaxKind.CallExpression: {
        const call = node as ts.CallExpression;
        if (call.expression.kind === ts.SyntaxKind.ImportKeyword) report(call, "KS1012", "Dynamic import() loads code at run time.");
        break;
      }
      case ts.SyntaxKind.PropertyAccessExpression: {
        const access = node as ts.PropertyAccessExpression;
        const member = access.name.text;
        if (ts.isIdentifier(access.expression) && isFromDefaultLib(checker.getSymbolAtLocation(access.expression))) {
          const base = access.expression.text;
          if (base === "Math" && !JS_MATH_MEMBERS.includes(member)) {
            const call = access.parent;
            const floorOfDivision = ts.isCallExpression(call) && call.expression === access && mathFloorDivision(call, program) !== undefined;
            if (!floorOfDivision) report(access, "KS1007", member);
          } else if (base === "Number" && Object.hasOwn(FLOAT_CONSTANT_HINTS, member)) {
            report(access, "KS1006", `Number.${member}`, FLOAT_CONSTANT_HINTS[member]);
          } else if (base === "Number" && Object.hasOwn(FLOAT_CONVERSIONS, member)) {
            report(access, "KS1008", `Number.${member}`, FLOAT_CONVERSIONS[member]);
          }
        } else if (Object.hasOwn(FLOAT_CONVERSIONS, member) && isNumberLike(checker.getTypeAtLocation(access.expression))) {
          report(access.name, "KS1008", member, FLOAT_CONVERSIONS[member]);
        }
        break;
      }
      case ts.SyntaxKind.ElementAccessExpression: {
        const access = node as ts.ElementAccessExpression;
        if (!ts.isStringLiteralLike(access.argumentExpression) && isGlobalModuleNamespace(access.expression, checker)) {
          report(access, "KS1011", `${access.expression.getText(sourceFile)}[…]`);
        }
        break;
      }
      case ts.SyntaxKind.Identifier:
        checkIdentifier(node as ts.Identifier);
        break;
    }
    ts.forEachChild(node, visit);
  };

  const checkIdentifier = (id: ts.Identifier) => {
    if (!isValueReference(id)) return;
    const name = id.text;
    const symbol = checker.getSymbolAtLocation(id);
    if (name === "globalThis") return report(id, "KS1011", name);
    if (FORBIDDEN_GLOBALS.includes(name) && isAmbientOnly(symbol)) return report(id, "KS1010", name);
    if (!isFromDefaultLib(symbol)) return;
    if (Object.hasOwn(FLOAT_CONSTANT_HINTS, name)) return report(id, "KS1006", name, FLOAT_CONSTANT_HINTS[name]);
    if (Object.hasOwn(FLOAT_CONVERSIONS, name)) return report(id, "KS1008", name, FLOAT_CONVERSIONS[name]);
    if (!SUPPORTED_JS_GLOBALS.has(name)) {
      report(id, "KS1015", name, (Object.hasOwn(UNSUPPORTED_JS_HINTS, name) ? UNSUPPORTED_JS_HINTS[name] : undefined) ?? "Use the 'kscript/…' modules instead.");
    }
  };

  visit(sourceFile);
  return out;
}

function skipParens(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  return e;
}

function isInAmbientContext(node: ts.Node): boolean {
  for (let n: ts.Node | undefined = node; n; n = n.parent) {
    if (ts.canHaveModifiers(n) && ts.getModifiers(n)?.some((m) => m.kind === ts.SyntaxKind.DeclareKeyword)) return true;
  }
  return false;
}

function isNumberLike(type: ts.Type): boolean {
  return (type.flags & ts.TypeFlags.NumberLike) !== 0;
}

function isGlobalModuleNamespace(expression: ts.Expression, checker: ts.TypeChecker): boolean {
  let expr = expression;
  while (ts.isParenthesizedExpression(expr) || ts.isAsExpression(expr) || ts.isNonNullExpression(expr) || ts.isTypeAssertionExpression(expr)) {
    expr = expr.expression;
  }
  if (!ts.isIdentifier(expr)) return false;
  const symbol = checker.getSymbolAtLocation(expr);
  const decl = symbol?.declarations?.[0];
  if (!decl || !ts.isNamespaceImport(decl)) return false;
  const spec = decl.parent.parent.moduleSpecifier;
  return ts.isStringLiteral(spec) && /^kscript\//.test(spec.text) && GLOBAL_MODULES.includes(spec.text.slice(8));
}

/** An identifier used as a value (not a declaration name, property name, type or label). */
function isValueReference(id: ts.Identifier): boolean {
  const p = id.parent;
  if (!p) return false;
  if (ts.isPropertyAccessExpression(p) && p.name === id) return false;
  if (ts.isQualifiedName(p)) return false;
  if ((ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p) || ts.isMethodDeclaration(p)) && p.name === id) return false;
  if (ts.isPropertySignature(p) || ts.isMethodSignature(p) || ts.isEnumMember(p)) return false;
  if (ts.isGetAccessor(p) || ts.isSetAccessor(p)) return p.name !== id;
  if (ts.isBindingElement(p) && p.propertyName === id) return false;
  if (ts.isImportSpecifier(p) || ts.isExportSpecifier(p) || ts.isImportClause(p) || ts.isNamespaceImport(p)) return false;
  if (ts.isLabeledStatement(p) || ts.isBreakOrContinueStatement(p)) return false;
  if (ts.isTypeReferenceNode(p) || ts.isTypeQueryNode(p) || ts.isExpressionWithTypeArguments(p) && ts.isHeritageClause(p.parent) && p.parent.token === ts.SyntaxKind.ImplementsKeyword) return false;
  if (isDeclarationName(id)) return false;
  for (let n: ts.Node = p; n; n = n.parent) {
    if (ts.isTypeNode(n) && !ts.isExpressionWithTypeArguments(n)) return false;
    if (ts.isStatement(n) || ts.isSourceFile(n)) break;
  }
  return true;
}

function isDeclarationName(id: ts.Identifier): boolean {
  const p = id.parent as ts.Node & { name?: ts.Node };
  return p.name === id && (ts.isDeclarationStatement(p) || ts.isVariableDeclaration(p) || ts.isParameter(p) || ts.isBindingElement(p) || ts.isClassExpression(p) || ts.isFunctionExpression(p) || ts.isTypeParameterDeclaration(p) || ts.isInterfaceDeclaration(p) || ts.isTypeAliasDeclaration(p));
}
