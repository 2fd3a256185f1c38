/**
 * Pseudo-random numbers that a failing test can replay: a linear congruential generator (glibc's constants)
 * started from a fixed value. The returned function gives an integer from 0 to n - 1.
 */
export function replayableRandom(start: number): (n: number) => number {
  let state = start >>> 0;
  return (n) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % n;
  };
}
