/**
 * XDP verdicts for `xdp` hooks. Compiles to the Lua global `xdp` (only an `xdp` target has it).
 * @module
 */

/** The numbers the kernel's XDP understands, as returned by a `callback`. */
export type Action = 0 | 1 | 2 | 3 | 4;

/**
 * XDP actions by name: `aborted` 0 (drop and trace an error), `drop` 1, `pass` 2 (on to the network stack),
 * `tx` 3 (send back out of the receiving interface), `redirect` 4 (out of another interface, see
 * {@link redirect}). `abort` is XDPLua's spelling of `aborted`.
 */
export declare const action: {
  /** XDP_ABORTED (0): drop the packet and fire the `xdp_exception` tracepoint. */
  readonly aborted: 0;
  /** XDP_ABORTED (0) under XDPLua's name. */
  readonly abort: 0;
  /** XDP_DROP (1): drop the packet silently. */
  readonly drop: 1;
  /** XDP_PASS (2): let the packet continue into the network stack. */
  readonly pass: 2;
  /** XDP_TX (3): send the (possibly rewritten) packet back out of the interface it came in on. */
  readonly tx: 3;
  /** XDP_REDIRECT (4): send the packet out of the interface chosen with {@link redirect}. */
  readonly redirect: 4;
};

/**
 * Chooses the interface (by ifindex, > 0) the packet is redirected to and returns `action.redirect`,
 * so `return redirect(ifindex)` ends the callback with the redirect.
 */
export declare function redirect(this: void, ifindex: number): 4;
