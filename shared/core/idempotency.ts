import { createHash, randomUUID } from 'node:crypto';
import { ProtocolError } from './errors';
import type { Clock, IdempotencyStore, Log } from './ports';
import type { PublishSettings } from './settings';

/**
 * The one idempotency mechanism, for a WebSocket frame's `id` and an HTTP `Idempotency-Key` alike (as Stripe
 * and the IETF Idempotency-Key draft have it): the first request with a key is run and its answer kept for
 * 24 h; a repeat of the same request gets that answer again and runs nothing; the same key with another
 * request is refused with IDEMPOTENCY_KEY_REUSED (422). What a request asks is kept as a fingerprint: the
 * SHA-256 of a canonical JSON of it (HTTP: method, path and body; WebSocket: the frame without its `id`).
 *
 * A claim is `pending` while an attempt at the request runs (its owner), then `done`. Crash-safe publishing
 * (issue 14): before a publish stores its message at a seq, it reserves that seq in the claim
 * (`Attempt.reserve`). An attempt that died (a crash, a function stopped at its timeout) leaves its claim
 * pending; once older than IDEMPOTENCY_STALE_SECONDS it is taken over by the next attempt with the same
 * request, which gets the dead attempt's id and reservations and so finishes that very message
 * (core/publish.ts): stored once, and delivered. Until then a repeat is told the first attempt is still in
 * progress (IDEMPOTENCY_KEY_IN_USE, with when to try again), never that the message was sent.
 */

export interface IdempotencyDeps {
  idempotency: IdempotencyStore;
  clock: Clock;
  log: Log;
  config: { publish: PublishSettings };
}

export interface IdempotentRequest {
  /** The key, scoped by its caller (`ws#room:a#client-id`, `http#POST /v1/chats/x/messages#sub#key`). */
  key: string;
  /** What the request asks, as any JSON value; only its fingerprint is stored. */
  request: unknown;
  /** The id the first request will give what it makes (a message id), told to repeats while it runs. */
  id: string;
}

/** The attempt at a request that holds its key: what a publish inside it needs to be crash-safe. */
export interface Attempt {
  /** The id of what the request makes: the first attempt's, also when this one took over from it. */
  readonly id: string;
  /** When the first attempt began (epoch ms): the time of what the request makes, in every attempt. */
  readonly startedAt: number;
  /** The seqs (by channel) an earlier attempt that died had reserved: its message is there, or nothing is. */
  readonly reserved: Readonly<Record<string, number>>;
  /**
   * Notes a seq taken for a channel before the message is stored there, so that a retry after a crash
   * stores it there too. Throws IDEMPOTENCY_KEY_IN_USE when another attempt took the key over meanwhile.
   */
  reserve(channel: string, seq: number): Promise<void>;
}

export type Idempotent<T> =
  /** This attempt ran the request (the first, or one that took over from a dead one). */
  | { outcome: 'first'; result: T }
  /** A repeat of a request that was answered: the first answer. */
  | { outcome: 'replay'; result: T; id: string }
  /** A repeat while an attempt at the request is still running. */
  | { outcome: 'pending'; id: string; retryAfterMs: number };

/** How soon a repeat that found the request in progress should try again: soon, as most finish in ms. */
const RETRY_AFTER_MAX_MS = 1000;
const RETRY_AFTER_MIN_MS = 100;

/**
 * Runs `run` once per key and request. `keep` says whether an answer is kept for repeats (HTTP keeps only
 * successes); one that is not kept, or a run that throws, releases the key for the next try (kept, and free
 * at once, where the run reserved a seq: the next try finishes that message).
 */
export async function idempotent<T>(
  deps: IdempotencyDeps,
  request: IdempotentRequest,
  run: (attempt: Attempt) => Promise<T>,
  keep: (result: T) => boolean = () => true,
): Promise<Idempotent<T>> {
  const fingerprint = fingerprintOf(request.request);
  const owner = randomUUID();
  const now = deps.clock.now();
  const staleAfterMs = deps.config.publish.staleAfterMs;
  const claim = await deps.idempotency.claim<T>(request.key, {
    id: request.id,
    fingerprint,
    owner,
    now,
    staleAfterMs,
  });
  if (!claim.claimed) {
    // A record written before fingerprints were kept (it expires within 24 h) matches any request.
    if (claim.fingerprint !== undefined && claim.fingerprint !== fingerprint) {
      throw new ProtocolError(
        'IDEMPOTENCY_KEY_REUSED',
        'this idempotency key was used for another request within the last 24 hours',
      );
    }
    if (claim.state === 'done') return { outcome: 'replay', result: claim.result, id: claim.id };
    const untilStale = claim.createdAt + staleAfterMs - now;
    return {
      outcome: 'pending',
      id: claim.id,
      retryAfterMs: Math.min(RETRY_AFTER_MAX_MS, Math.max(RETRY_AFTER_MIN_MS, untilStale)),
    };
  }
  if (Object.keys(claim.reserved).length > 0) {
    deps.log.warn('took over an idempotency key whose attempt died', { key: request.key, id: claim.id });
  }
  const attempt: Attempt = {
    id: claim.id,
    startedAt: claim.startedAt,
    reserved: claim.reserved,
    async reserve(channel, seq) {
      if (!(await deps.idempotency.reserve(request.key, owner, channel, seq))) {
        throw keyInUse(RETRY_AFTER_MAX_MS);
      }
    },
  };
  let result: T;
  try {
    result = await run(attempt);
  } catch (error) {
    await release(deps, request.key, owner);
    throw error;
  }
  if (!keep(result)) await release(deps, request.key, owner);
  else if (!(await deps.idempotency.complete(request.key, owner, result, deps.clock.now()))) {
    // Taken over while this attempt was finishing (it ran past IDEMPOTENCY_STALE_SECONDS): the other
    // attempt finishes the same message and keeps its own answer.
    deps.log.warn('an idempotency key was taken over before its answer was kept', { key: request.key });
  }
  return { outcome: 'first', result };
}

/** The answer to a repeat while the first attempt is still in progress (HTTP 409). */
export const keyInUse = (retryAfterMs: number): ProtocolError =>
  new ProtocolError(
    'IDEMPOTENCY_KEY_IN_USE',
    'a request with this idempotency key is still being processed; send it again later',
    { retryAfterMs },
  );

async function release(deps: IdempotencyDeps, key: string, owner: string): Promise<void> {
  await deps.idempotency.release(key, owner).catch((error: unknown) =>
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
