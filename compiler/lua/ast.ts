/**
 * Parsing Lua 5.3 with luaparse, and the scope analysis both the minifier (which locals to rename) and the
 * Lua-level checker (which names are globals) rely on.
 */
import luaparse from "luaparse";
import type * as lp from "luaparse";

export type Node = lp.Node & { range: [number, number] };

export class LuaSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
  }
}

/** Parses Lua 5.3 with ranges, and line/column locations unless the caller only needs ranges. */
export function parseLua(text: string, options: { locations?: boolean } = {}): lp.Chunk {
  try {
    return luaparse.parse(text, { luaVersion: "5.3", locations: options.locations ?? true, ranges: true, comments: false });
  } catch (error) {
    const e = error as { message: string; line?: number; column?: number };
    throw new LuaSyntaxError(e.message, e.line ?? 1, e.column ?? 0);
  }
}

export function rangeOf(node: lp.Node): [number, number] {
  return (node as Node).range;
}

/** A local variable (or parameter) and everything that refers to it. */
export interface Binding {
  name: string;
  declaration: lp.Identifier;
  references: lp.Identifier[];
  scope: Scope;
  /** Names the source relies on literally: the implicit `self` of `function t:m()`. */
  fixed: boolean;
}

export interface Scope {
  parent: Scope | undefined;
  children: Scope[];
  bindings: Binding[];
}

export interface ScopeInfo {
  root: Scope;
  /** Every identifier that names a variable (declaration or use), by its start offset. */
  bindingAt: Map<number, Binding>;
  /** Identifiers that read or write a global. */
  globals: lp.Identifier[];
}

/**
 * Resolve every variable identifier in a chunk to its local binding or to a global, following Lua 5.3's
 * scoping exactly: `local x = x` sees the outer x, `local function f` sees itself, a `repeat` condition sees
 * the body's locals, and loop variables live in the loop body.
 */
export function analyzeScopes(chunk: lp.Chunk): ScopeInfo {
  const root: Scope = { parent: undefined, children: [], bindings: [] };
  const bindingAt = new Map<number, Binding>();
  const globals: lp.Identifier[] = [];
  const visible: Map<string, Binding>[] = [new Map()];
  let scope = root;

  const enter = () => {
    const child: Scope = { parent: scope, children: [], bindings: [] };
    scope.children.push(child);
    scope = child;
    visible.push(new Map());
  };
  const leave = () => {
    scope = scope.parent!;
    visible.pop();
  };
  const declare = (id: lp.Identifier, fixed = false) => {
    const binding: Binding = { name: id.name, declaration: id, references: [], scope, fixed };
    scope.bindings.push(binding);
    visible[visible.length - 1].set(id.name, binding);
    bindingAt.set(rangeOf(id)[0], binding);
  };
  const reference = (id: lp.Identifier) => {
    for (let i = visible.length - 1; i >= 0; i--) {
      const binding = visible[i].get(id.name);
      if (binding) {
        binding.references.push(id);
        bindingAt.set(rangeOf(id)[0], binding);
        return;
      }
    }
    globals.push(id);
  };

  const block = (body: lp.Statement[]) => body.forEach(statement);
  const functionBody = (fn: lp.FunctionDeclaration, implicitSelf: lp.Identifier | undefined) => {
    enter();
    if (implicitSelf) declare(implicitSelf, true);
    for (const p of fn.parameters) if (p.type === "Identifier") declare(p);
    block(fn.body);
    leave();
  };

  function statement(s: lp.Statement): void {
    switch (s.type) {
      case "LocalStatement":
        s.init.forEach(expression);
        s.variables.forEach((v) => declare(v));
        return;
      case "AssignmentStatement":
        s.init.forEach(expression);
        s.variables.forEach(expression);
        return;
      case "CallStatement":
        expression(s.expression);
        return;
      case "FunctionDeclaration":
        return functionDeclaration(s);
      case "ReturnStatement":
        s.arguments.forEach(expression);
        return;
      case "IfStatement":
        for (const clause of s.clauses) {
          if (clause.type !== "ElseClause") expression(clause.condition);
          enter();
          block(clause.body);
          leave();
        }
        return;
      case "WhileStatement":
        expression(s.condition);
        enter();
        block(s.body);
        leave();
        return;
      case "DoStatement":
        enter();
        block(s.body);
        leave();
        return;
      case "RepeatStatement":
        enter();
        block(s.body);
        expression(s.condition);
        leave();
        return;
      case "ForNumericStatement":
        expression(s.start);
        expression(s.end);
        if (s.step) expression(s.step);
        enter();
        declare(s.variable);
        block(s.body);
        leave();
        return;
      case "ForGenericStatement":
        s.iterators.forEach(expression);
        enter();
        s.variables.forEach((v) => declare(v));
        block(s.body);
        leave();
        return;
      case "LabelStatement":
      case "GotoStatement":
      case "BreakStatement":
        return;
    }
  }

  function functionDeclaration(fn: lp.FunctionDeclaration): void {
    const id = fn.identifier;
    if (fn.isLocal && id?.type === "Identifier") {
      declare(id);
      functionBody(fn, undefined);
      return;
    }
    let implicitSelf: lp.Identifier | undefined;
    if (id) {
      expression(id);
      if (id.type === "MemberExpression" && id.indexer === ":") {
        // `function t:m()` declares `self` without writing it; give it the method name's position.
        implicitSelf = { type: "Identifier", name: "self", range: [-1 - rangeOf(id)[0], -1] } as lp.Identifier;
      }
    }
    functionBody(fn, implicitSelf);
  }

  function expression(e: lp.Expression | lp.Identifier | lp.MemberExpression | lp.IndexExpression): void {
    switch (e.type) {
      case "Identifier":
        reference(e);
        return;
      case "FunctionDeclaration":
        functionDeclaration(e);
        return;
      case "MemberExpression":
        expression(e.base);
        return;
      case "IndexExpression":
        expression(e.base);
        expression(e.index);
        return;
      case "CallExpression":
        expression(e.base);
        e.arguments.forEach(expression);
        return;
      case "TableCallExpression":
        expression(e.base);
        expression(e.arguments);
        return;
      case "StringCallExpression":
        expression(e.base);
        return;
      case "TableConstructorExpression":
        for (const field of e.fields) {
          if (field.type === "TableKey") expression(field.key);
          expression(field.value);
        }
        return;
      case "BinaryExpression":
      case "LogicalExpression":
        expression(e.left);
        expression(e.right);
        return;
      case "UnaryExpression":
        expression(e.argument);
        return;
      default:
        return;
    }
  }

  block(chunk.body);
  return { root, bindingAt, globals };
}

/** Calls a visitor on every node of a chunk, parents before children. */
export function walk(node: lp.Node, visit: (node: lp.Node, parent: lp.Node | undefined) => void): void {
  const go = (n: lp.Node, parent: lp.Node | undefined) => {
    visit(n, parent);
    for (const value of Object.values(n)) {
      if (Array.isArray(value)) {
        for (const item of value) if (item && typeof item.type === "string") go(item, n);
      } else if (value && typeof value === "object" && typeof (value as lp.Node).type === "string") {
        go(value as lp.Node, n);
      }
    }
  };
  go(node, undefined);
}
