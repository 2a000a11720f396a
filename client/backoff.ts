/**
 * Reconnect delays: exponential with full jitter (AWS Architecture Blog, "Exponential Backoff And
 * Jitter"), above a floor, as centrifuge-js does: attempt n waits a random time in
 * [min, min(max, min + min·2ⁿ)]. Full jitter spreads a crowd of clients that lost the same server over the
 * whole window instead of sending them back in waves; the floor keeps a failing client from spinning.
 */
export function backoff(attempt: number, minMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 31));
  return Math.min(maxMs, minMs + Math.floor(random() * (ceiling + 1)));
}
