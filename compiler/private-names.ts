/**
 * TypeScript's private class members (`#count`, `#step()`, `static #made`, `#x in obj`), which
 * TypeScript-to-Lua refuses with an exception, compiled as ordinary members keyed "Class#name". The key
 * cannot collide with a public member (no identifier holds '#'), and it names the declaring class, so a
 * subclass's `#count` and its base's stay two fields, as in JavaScript.
 */
import ts from "./typescript.cjs";

export function privateNamesTransformer(checker: ts.TypeChecker): ts.TransformerFactory<ts.SourceFile> {
  return (context) => (sourceFile) => {
    if (!sourceFile.text.includes("#")) return sourceFile;
    const key = (name: ts.PrivateIdentifier): string => {
      const owner = checker.getSymbolAtLocation(name)?.valueDeclaration?.parent;
      if (!owner || !ts.isClassLike(owner)) return `class${name.text}`;
      // An anonymous class is told apart by where it starts.
      return `${owner.name ? owner.name.text : `class@${owner.pos}`}${name.text}`;
    };
    const visit = (node: ts.Node): ts.Node => {
      const out = rewrite(node);
      // TypeScript-to-Lua reads the parents of the nodes it compiles (a class expression's variable names the
      // class): a node rebuilt around a renamed member keeps its original's parent.
      if (out !== node && node.parent) (out as { parent: ts.Node }).parent = node.parent;
      return out;
    };
    const rewrite = (node: ts.Node): ts.Node => {
      // `#x in obj` asks whether obj has the member: the same question as `"Class#x" in obj`.
      if (ts.isBinaryExpression(node) && ts.isPrivateIdentifier(node.left) && node.operatorToken.kind === ts.SyntaxKind.InKeyword) {
        const left = ts.setTextRange(ts.factory.createStringLiteral(key(node.left)), node.left);
        return ts.factory.updateBinaryExpression(node, left, node.operatorToken, ts.visitNode(node.right, visit) as ts.Expression);
      }
      if (ts.isPrivateIdentifier(node)) {
        return ts.setOriginalNode(ts.setTextRange(ts.factory.createIdentifier(key(node)), node), node);
      }
      return ts.visitEachChild(node, visit, context);
    };
    return ts.visitEachChild(sourceFile, visit, context);
  };
}
