/**
 * The kscript TSTL plugin: gives the dialect its TypeScript mapping. Integer division and shifts become
 * Lua's integer operators, `kscript/<global>` imports become the kernel's globals, kscript/int's functions
 * become operators or packaged helpers, and numerals keep their exact 64-bit value.
 */
import fs from "node:fs";
import path from "node:path";
import ts from "./typescript.cjs";
import lua from "./tstl.cjs";
import { ContextType, getFunctionContextType } from "typescript-to-lua/dist/transformation/utils/function-context.js";
import { unsupportedNoSelfFunctionConversion, unsupportedSelfFunctionConversion } from "typescript-to-lua/dist/transformation/utils/diagnostics.js";
import { LoopContinued, ScopeType } from "typescript-to-lua/dist/transformation/utils/scope.js";
import { GLOBAL_MODULES, INTRINSIC_MODULES } from "../common/dialect.js";
import { integerValue, mathFloorDivision } from "./check-ts.js";

type LuaExpression = lua.Expression;
type LuaStatement = lua.Statement;

/** Prefix of the helper functions the packager defines for the compiled code (see compiler/lualib). */
export const HELPER_PREFIX = "__KS_";

export interface PluginOptions {
  stdlibDir: string;
}

export function createPlugin({ stdlibDir }: PluginOptions): lua.Plugin {
  const intrinsicFiles = new Set(INTRINSIC_MODULES.map((m) => path.join(stdlibDir, `${m}.d.ts`)));

  /** The kscript/int function an identifier refers to, if any. */
  const intrinsicName = (context: lua.TransformationContext, node: ts.Node): string | undefined => {
    let symbol = context.checker.getSymbolAtLocation(node);
    if (!symbol) return undefined;
    if (symbol.flags & ts.SymbolFlags.Alias) symbol = context.checker.getAliasedSymbol(symbol);
    const decl = symbol.declarations?.[0];
    return decl && intrinsicFiles.has(path.resolve(decl.getSourceFile().fileName)) ? symbol.name : undefined;
  };

  /**
   * `import … from "kscript/<global>"` reads the kernel's global instead of requiring a module; an import of
   * an intrinsic module (kscript/int) vanishes, its functions being compiled at each use. TSTL hoists import
   * statements into the scope's `importStatements` rather than returning them, so they are edited there.
   */
  const transformModuleImport = (
    node: ts.ImportDeclaration | ts.ExportDeclaration,
    context: lua.TransformationContext,
  ): LuaStatement[] => {
    const scope = context.scopeStack[context.scopeStack.length - 1] as { importStatements?: LuaStatement[] };
    const before = scope.importStatements?.length ?? 0;
    const returned = context.superTransformStatements(node);
    const spec = node.moduleSpecifier;
    const m = spec && ts.isStringLiteral(spec) ? /^kscript\/(.+)$/.exec(spec.text) : null;
    if (!m || !(INTRINSIC_MODULES.includes(m[1]) || GLOBAL_MODULES.includes(m[1]))) return returned;
    const rewrite = (statements: LuaStatement[]) => {
      if (INTRINSIC_MODULES.includes(m[1])) return [];
      for (const statement of statements) {
        if (!lua.isVariableDeclarationStatement(statement) || !statement.right) continue;
        const init = statement.right[0];
        if (lua.isCallExpression(init) && lua.isIdentifier(init.expression) && init.expression.text === "require") {
          statement.right[0] = lua.createIdentifier(m[1]);
        }
      }
      return statements;
    };
    if (scope.importStatements) {
      scope.importStatements.splice(before, Infinity, ...rewrite(scope.importStatements.slice(before)));
    }
    return rewrite(returned);
  };

  const floorDivision = (context: lua.TransformationContext, a: ts.Expression, b: ts.Expression, node: ts.Node) =>
    lua.createBinaryExpression(
      context.transformExpression(a),
      context.transformExpression(b),
      lua.SyntaxKind.FloorDivisionOperator,
      node,
    );

  const isNaNLiteral = (e: LuaExpression) =>
    lua.isBinaryExpression(e) &&
    e.operator === lua.SyntaxKind.DivisionOperator &&
    lua.isNumericLiteral(e.left) &&
    e.left.value === 0 &&
    lua.isNumericLiteral(e.right) &&
    e.right.value === 0;

  /** TSTL's own `math.floor(x)` (array lengths, repeat counts): the identity on kscript's integers. */
  const withoutMathFloor = (e: LuaExpression): LuaExpression =>
    lua.isCallExpression(e) &&
    e.params.length === 1 &&
    lua.isTableIndexExpression(e.expression) &&
    lua.isIdentifier(e.expression.table) &&
    e.expression.table.text === "math" &&
    lua.isStringLiteral(e.expression.index) &&
    e.expression.index.value === "floor"
      ? e.params[0]
      : e;

  /**
   * Hooks compile without implicit `self`: a function the project declares takes no context parameter, while
   * functions typed by the ES library (the callbacks of map, forEach, sort, …) are called by TSTL's lualib with
   * one first (`callbackfn(thisArg, value, …)`). A function passed by reference where the other kind is expected
   * (`bytes.map(hex2)`, `list.sort(byPort)`) gets a wrapper that adds or drops that parameter. In both cases
   * JavaScript calls it with `this` undefined, which is the nil the wrappers pass.
   */
  const selfAdaptation = (context: lua.TransformationContext, node: ts.Expression): "add" | "drop" | undefined => {
    const call = node.parent as ts.Node | undefined; // undefined for nodes TSTL synthesizes
    if (!call || !ts.isCallExpression(call) || !call.arguments.includes(node)) return undefined;
    const signature = context.checker.getResolvedSignature(call);
    const parameter = signature?.parameters[call.arguments.indexOf(node)];
    if (!parameter?.valueDeclaration) return undefined;
    // An optional callback's type includes undefined, which hides its signatures from TSTL's own check.
    const expectedType = context.checker.getNonNullableType(context.checker.getTypeAtLocation(parameter.valueDeclaration));
    const expected = getFunctionContextType(context, expectedType);
    const actual = getFunctionContextType(context, context.checker.getTypeAtLocation(node));
    if (actual === ContextType.Void && expected === ContextType.NonVoid) return "add";
    if (actual === ContextType.NonVoid && expected === ContextType.Void) return "drop";
    return undefined;
  };

  const SELF_CONVERSIONS = new Set([unsupportedSelfFunctionConversion.code, unsupportedNoSelfFunctionConversion.code]);

  const withSelfAdapted = (context: lua.TransformationContext, node: ts.Expression, transformed: LuaExpression): LuaExpression => {
    const adaptation = selfAdaptation(context, node);
    if (!adaptation) return transformed;
    // The reference is evaluated once, where JavaScript evaluates it; a name can be read again.
    let fn = transformed;
    if (!ts.isIdentifier(node)) {
      fn = lua.createIdentifier(context.createTempName("fn"));
      context.addPrecedingStatements(lua.createVariableDeclarationStatement(fn as lua.Identifier, transformed, node));
    }
    const args = adaptation === "add" ? [lua.createDotsLiteral()] : [lua.createNilLiteral(), lua.createDotsLiteral()];
    const body = lua.createBlock([lua.createReturnStatement([lua.createCallExpression(fn, args)])]);
    return lua.createFunctionExpression(body, adaptation === "add" ? [lua.createIdentifier("____")] : [], lua.createDotsLiteral(), undefined, node);
  };

  /**
   * Labelled statements, which TSTL rejects, become Lua 5.3 gotos: `break label` jumps to a label right after
   * the statement, `continue label` to the label TSTL itself places where the labelled loop's next iteration
   * starts (before a for loop's incrementor).
   */
  const breakLabels = new WeakMap<ts.LabeledStatement, string>();
  const labelled = (node: ts.BreakOrContinueStatement): ts.LabeledStatement => {
    let p = node.parent;
    while (!(ts.isLabeledStatement(p) && p.label.text === node.label!.text)) p = p.parent;
    return p;
  };

  return {
    visitors: {
      [ts.SyntaxKind.LabeledStatement]: (node, context) => {
        const label = context.createTempName(`break_${node.label.text}`);
        breakLabels.set(node, label);
        return [lua.createDoStatement(context.transformStatements(node.statement), node), lua.createLabelStatement(label, node)];
      },

      [ts.SyntaxKind.BreakStatement]: (node, context) =>
        node.label ? lua.createGotoStatement(breakLabels.get(labelled(node))!, node) : context.superTransformStatements(node),

      [ts.SyntaxKind.ContinueStatement]: (node, context) => {
        if (!node.label) return context.superTransformStatements(node);
        const loop = labelled(node).statement;
        const scope = [...context.scopeStack].reverse().find((s) => s.type === ScopeType.Loop && s.node === loop)!;
        scope.loopContinued = LoopContinued.WithGoto;
        return lua.createGotoStatement(`__continue${scope.id}`, node);
      },

      // TSTL declares `local E = E or {}` to merge enum declarations, which reads a global E that hooks lack;
      // a TypeScript enum only merges within one scope, where the local already exists.
      [ts.SyntaxKind.EnumDeclaration]: (node, context) => {
        const statements = context.superTransformStatements(node);
        for (const s of statements) {
          if (!lua.isVariableDeclarationStatement(s) || !s.right || s.left.length !== 1) continue;
          const init = s.right[0];
          if (
            lua.isBinaryExpression(init) &&
            init.operator === lua.SyntaxKind.OrOperator &&
            lua.isIdentifier(init.left) &&
            init.left.text === s.left[0].text
          ) {
            s.right[0] = init.right;
          }
        }
        return statements;
      },

      [ts.SyntaxKind.ImportDeclaration]: transformModuleImport,
      [ts.SyntaxKind.ExportDeclaration]: transformModuleImport,

      [ts.SyntaxKind.Identifier]: (node, context) => {
        const name = intrinsicName(context, node);
        return name ? lua.createIdentifier(HELPER_PREFIX + name, node) : withSelfAdapted(context, node, context.superTransformExpression(node));
      },

      [ts.SyntaxKind.PropertyAccessExpression]: (node, context) => withSelfAdapted(context, node, context.superTransformExpression(node)),

      [ts.SyntaxKind.NumericLiteral]: (node, context) => {
        const text = node.pos >= 0 && node.getSourceFile() ? node.getText() : node.text;
        const value = integerValue(text);
        if (value === undefined || (value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= 0n)) {
          return context.superTransformExpression(node);
        }
        // Beyond 2^53 the JS double is inexact; print the exact numeral instead (hex keeps Lua's wrap-around).
        const exact = /^0[xX]/.test(text) ? "0x" + value.toString(16) : value.toString();
        return lua.createNumericLiteral(exact as unknown as number, node);
      },

      [ts.SyntaxKind.BinaryExpression]: (node, context) => {
        switch (node.operatorToken.kind) {
          case ts.SyntaxKind.GreaterThanGreaterThanGreaterThanToken:
            return lua.createBinaryExpression(
              context.transformExpression(node.left),
              context.transformExpression(node.right),
              lua.SyntaxKind.BitwiseRightShiftOperator,
              node,
            );
          case ts.SyntaxKind.GreaterThanGreaterThanToken:
            return lua.createCallExpression(
              lua.createIdentifier(HELPER_PREFIX + "sar"),
              [context.transformExpression(node.left), context.transformExpression(node.right)],
              node,
            );
          default:
            return context.superTransformExpression(node);
        }
      },

      [ts.SyntaxKind.CallExpression]: (node, context) => {
        const callee = node.expression;
        const intrinsic = intrinsicName(context, callee);
        if (intrinsic === "idiv" && node.arguments.length === 2) {
          return floorDivision(context, node.arguments[0], node.arguments[1], node);
        }
        const division = mathFloorDivision(node, context.program);
        if (division) return floorDivision(context, division.left, division.right, node);
        const reported = context.diagnostics.length;
        const result = context.superTransformExpression(node);
        // TSTL's objection to a function passed with the other kind of self is moot once the argument is adapted.
        const adapted = new Set(node.arguments.filter((a) => selfAdaptation(context, a)).map((a) => a.getStart()));
        for (let i = context.diagnostics.length - 1; i >= reported; i--) {
          const d = context.diagnostics[i];
          if (SELF_CONVERSIONS.has(d.code) && d.start !== undefined && adapted.has(d.start)) context.diagnostics.splice(i, 1);
        }
        if (lua.isCallExpression(result) || lua.isMethodCallExpression(result)) {
          result.params = result.params.map(withoutMathFloor);
        }
        // TSTL inlines `s.charCodeAt(k)` as `string.byte(s, k + 1) or 0 / 0`; kscript's NaN is nil.
        if (lua.isBinaryExpression(result) && result.operator === lua.SyntaxKind.OrOperator && isNaNLiteral(result.right)) {
          return result.left;
        }
        return result;
      },
    },

    // TSTL's resolver does not apply TypeScript's path mapping to bundled TypeScript: point `kscript/<name>`
    // at the stdlib helper module's source, which is part of the program.
    moduleResolution(moduleIdentifier) {
      const m = /^kscript\/([\w-]+)$/.exec(moduleIdentifier);
      const file = m && path.join(stdlibDir, `${m[1]}.ts`);
      return file && fs.existsSync(file) ? file : undefined;
    },
  };
}
