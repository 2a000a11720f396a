import { createHash } from 'node:crypto';
import { ProtocolError } from './errors';
import type { Clock, IdempotencyStore, Log } from './ports';

/**
 * The one idempotency mechanism, for a WebSocket frame's `id` and an HTTP `Idempotency-Key` alike (as Stripe
 * and the IETF Idempotency-Key draft have it): the first request with a key is run and its answer kept for
 * 24 h; a repeat of the same request gets that answer again and runs nothing; the same key with another
 * request is refused with IDEMPOTENCY_KEY_REUSED (422). What a request asks is kept as a fingerprint: the
 * SHA-256 of a canonical JSON of it (HTTP: method, path and body; WebSocket: the frame without its `id`).
 *
 * A claim is `pending` while its first request runs, then `done`. A pending claim older than
 * IDEMPOTENCY_STALE_MS is taken over, as its owner is taken to have died. (What a repeat is told while the
 * first is still pending is its caller's choice: `pending` is handed back, never guessed at here.)
 */

/** How long a pending claim may stay before another request takes it over (its owner died). */
export const IDEMPOTENCY_STALE_MS = 60_000;

export interface IdempotencyDeps {
  idempotency: IdempotencyStore;
  clock: Clock;
  log: Log;
}

export interface IdempotentRequest {
  /** The key, scoped by its caller (`ws#room:a#client-id`, `http#POST /v1/chats/x/messages#sub#key`). */
  key: string;
  /** What the request asks, as any JSON value; only its fingerprint is stored. */
  request: unknown;
  /** The id the first request will give what it makes (a message id), told to repeats while it runs. */
  id: string;
}

export type Idempotent<T> =
  /** The first request with this key: it ran. */
  | { outcome: 'first'; result: T }
  /** A repeat of a request that was answered: the first answer. */
  | { outcome: 'replay'; result: T; id: string }
  /** A repeat while the first request is still running. */
  | { outcome: 'pending'; id: string; createdAt: number };

/**
 * Runs `run` once per key and request. `keep` says whether an answer is kept for repeats (HTTP keeps only
 * successes); one that is not kept, or a run that throws, releases the key for the next try.
 */
export async function idempotent<T>(
  deps: IdempotencyDeps,
  request: IdempotentRequest,
  run: () => Promise<T>,
  keep: (result: T) => boolean = () => true,
): Promise<Idempotent<T>> {
  const fingerprint = fingerprintOf(request.request);
  const claim = await deps.idempotency.claim<T>(request.key, {
    id: request.id,
    fingerprint,
    now: deps.clock.now(),
    staleAfterMs: IDEMPOTENCY_STALE_MS,
  });
  if (!claim.claimed) {
    // A record written before fingerprints were kept (it expires within 24 h) matches any request.
    if (claim.fingerprint !== undefined && claim.fingerprint !== fingerprint) {
      throw new ProtocolError(
        'IDEMPOTENCY_KEY_REUSED',
        'this idempotency key was used for another request within the last 24 hours',
      );
    }
    return claim.state === 'done'
      ? { outcome: 'replay', result: claim.result, id: claim.id }
      : { outcome: 'pending', id: claim.id, createdAt: claim.createdAt };
  }
  let result: T;
  try {
    result = await run();
  } catch (error) {
    await release(deps, request.key);
    throw error;
  }
  if (keep(result)) await deps.idempotency.complete(request.key, result, deps.clock.now());
  else await release(deps, request.key);
  return { outcome: 'first', result };
}

async function release(deps: IdempotencyDeps, key: string): Promise<void> {
  await deps.idempotency.release(key).catch((error: unknown) =>
    // The request's own answer or error is what the caller must see; the claim is taken over once stale.
    deps.log.warn('could not release an idempotency claim', { key, error: String(error) }),
  );
}

/** SHA-256 (hex) of the canonical JSON of a value: the same for the same request, key order aside. */
export const fingerprintOf = (value: unknown): string =>
  createHash('sha256').update(canonicalJson(value)).digest('hex');

/** JSON with object keys sorted at every depth; `undefined` members left out, as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
