/**
 * A key/value table shared by every per-CPU state of an XDP hook (and settable from user space with
 * `kscript rcu set`). Keys are strings of 1..255 bytes or integers; values are strings of at most 4096
 * bytes, integers or booleans. Compiles to the Lua global `rcu` (only an `xdp` target has it).
 * @module
 */

/** A key of the shared table: a string of 1..255 bytes, or an integer. */
export type Key = string | number;
/** A value of the shared table: a string of at most 4096 bytes, an integer or a boolean. */
export type Value = string | number | boolean;

/** The value stored under `key`, or `undefined` if there is none. */
export declare function get(this: void, key: Key): Value | undefined;

/**
 * Stores `value` under `key` for every state to see; `undefined` removes the key. Any other value type
 * raises a Lua error.
 */
export declare function set(this: void, key: Key, value: Value | undefined): void;
