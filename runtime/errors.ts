/** How a hook call fails, on either backend: the kind of failure and its place in the TypeScript. */
import type { FaultKind } from "./kint.js";

export type ErrorKind = "syntax" | "runtime" | "budget" | FaultKind;

/** A Lua error out of a hook, with the Lua position mapped to TypeScript when a source map is known. */
export class HookError extends Error {
  constructor(
    readonly kind: ErrorKind,
    /** The Lua message as the kernel would log it (with `chunk:line:`). */
    readonly luaMessage: string,
    /** `file.ts:line` of the TypeScript that produced the failing Lua line, when known. */
    readonly tsLocation: string | undefined,
  ) {
    super(tsLocation ? `${tsLocation}: ${luaMessage}` : luaMessage);
    this.name = "HookError";
  }
}

/**
 * A HookError for a Lua message from chunk `chunkName` (`name:line: …`), its line mapped to TypeScript when a
 * locator is known. Shared by the local engine and the kernel backend, whose messages have the same form.
 * `stack`: the Lua lines of the failing call's frames, innermost first, when known; they place an error whose
 * message has no position (an error object: `throw new Error(…)`) or a position outside the hook's own code (a
 * lualib helper) at the innermost line of the hook's TypeScript.
 */
export function hookError(
  kind: ErrorKind,
  luaMessage: string,
  chunkName: string,
  locate: ((luaLine: number) => string | undefined) | undefined,
  stack: readonly number[] = [],
): HookError {
  const m = new RegExp(`^${escapeRegExp(chunkName)}:(\\d+):`).exec(luaMessage);
  let where: string | undefined;
  for (const line of m ? [Number(m[1]), ...stack] : stack) {
    where = locate?.(line);
    if (where) break;
  }
  return new HookError(kind, luaMessage, where);
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
