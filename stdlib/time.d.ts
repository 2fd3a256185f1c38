/**
 * The kernel's monotonic clock (CLOCK_MONOTONIC: time since boot, never going back, suspend excluded), for
 * every hook target. Compiles to the Lua global `time`. In `kscript test` the clock is the host's until a
 * test sets it: `hook.engine?.clock.set(ns)` and `.advance(ns)` (the kernel's clock cannot be set, so such a
 * test runs in the emulator only).
 * @module
 */

/** Nanoseconds since boot (`ktime_get_ns`). A 64-bit integer: 2^53 is some 104 days of uptime. */
export declare function ns(this: void): number;

/** Whole seconds since boot (`ktime_get_seconds`: the coarse clock, which reads no clock source). */
export declare function seconds(this: void): number;
