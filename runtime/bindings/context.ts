/** What a state's bindings share with the engine and with the test that drives it. */

/** Integers in the emulator's canonical form (runtime/kint.ts): a number within 32 bits, a bigint beyond. */
export type RcuKey = string | number | bigint;
export type RcuValue = string | number | bigint | boolean;

/** The `rcu` table every per-CPU state of a hook shares (kept by the engine, read and written by the binding). */
export interface RcuStore {
  get(key: RcuKey): RcuValue | undefined;
  /** Stores or (undefined) removes a key; false when the table is full and the key is new. */
  set(key: RcuKey, value: RcuValue | undefined): boolean;
}

/** The monotonic clock `time` reads: nanoseconds since an arbitrary start that never goes back (boot, in the kernel). */
export interface Clock {
  ns(): bigint;
}

export interface BindingContext {
  /** The one `rcu` store of all per-CPU states. */
  rcu: RcuStore;
  /** The one clock of all per-CPU states. */
  clock: Clock;
  cpu: number;
  /** Set by `xdp.redirect` during the current call. */
  redirect?: number;
}
