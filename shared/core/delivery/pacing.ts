import { type Clock, type Gateway, GatewayError, type Log } from '../ports';
import type { PostResult } from './post';

/**
 * How a fan-out worker keeps to its share of the account's Management API quota. The account allows
 * `quotaPerSecond` requests a second to every `@connections` call together (10,000 by default; beyond it
 * API Gateway answers 429); the workers split it evenly, `quotaPerSecond ÷ workers` each, and each paces
 * its posts with a token bucket of that rate. A 429 means someone else is using the quota too (inline
 * deliveries, another stack in the account): the worker then slows down and speeds up again gradually —
 * additive increase, multiplicative decrease, as TCP does with a congested link.
 */

/** How far ahead of its rate a worker may post: a burst of this many milliseconds' worth of tokens. */
const BURST_MS = 50;
/** A 429 multiplies the rate by this. */
const DECREASE = 0.7;
/**
 * 429s closer together than this are one congestion event: the posts in flight when the quota ran out
 * all come back 429, and halving the rate once per post would stall the worker for nothing.
 */
const DECREASE_GAP_MS = 200;
/** After slowing down, the rate grows back by this fraction of the share per second (full in ~1.2 s from 0.7). */
const RECOVERY_PER_SECOND = 0.25;

/** One worker's pace: a token bucket (GCRA) whose rate follows AIMD between `floor` and `share`. */
export class Pacer {
  readonly share: number;
  readonly floor: number;
  /** 429s this pacer was told of. */
  throttles = 0;
  /** The lowest rate since the last `resetSlowest` (what a batch's log line reports). */
  slowest: number;
  #rate: number;
  /** The theoretical arrival time of the next request (GCRA), epoch ms. */
  #next = 0;
  #lastDecrease = Number.NEGATIVE_INFINITY;
  #lastGrowth: number;

  constructor(
    private readonly clock: Clock,
    /** Requests a second this worker may make: the quota divided by the workers. */
    share: number,
  ) {
    if (!(share > 0)) throw new RangeError(`a pacer's share must be > 0, got ${share}`);
    this.share = share;
    this.floor = Math.max(1, share / 100);
    this.#rate = share;
    this.slowest = share;
    this.#lastGrowth = clock.now();
  }

  resetSlowest(): void {
    this.slowest = this.#rate;
  }

  /** Requests a second it posts at now. */
  get rate(): number {
    return this.#rate;
  }

  /** Waits for this worker's next slot: the callers are served in order, `1 / rate` apart. */
  async take(): Promise<void> {
    const now = this.clock.now();
    const at = Math.max(this.#next, now);
    this.#next = at + 1000 / this.#rate;
    const wait = at - BURST_MS - now;
    if (wait > 0) await this.clock.sleep(wait);
  }

  /** A post went through: grow the rate again, linearly in time, up to the share. */
  succeeded(): void {
    const now = this.clock.now();
    if (this.#rate < this.share) {
      const grown = this.#rate + (this.share * RECOVERY_PER_SECOND * (now - this.#lastGrowth)) / 1000;
      this.#rate = Math.min(this.share, grown);
    }
    this.#lastGrowth = now;
  }

  /** The Management API answered 429: slow down (once per congestion event). */
  throttled(): void {
    this.throttles++;
    const now = this.clock.now();
    if (now - this.#lastDecrease < DECREASE_GAP_MS) return;
    this.#lastDecrease = now;
    this.#lastGrowth = now;
    this.#rate = Math.max(this.floor, this.#rate * DECREASE);
    this.slowest = Math.min(this.slowest, this.#rate);
    // Requests already given a slot keep it; new ones are spaced at the new rate from the last slot on.
  }
}

/** A paced post's outcome: `later` when it could not be made in time (the worker passes it on). */
export type PacedResult = PostResult | 'later';

/** Attempts per post at a 5xx or a post without an answer before the connection is passed on. */
const MAX_FAULTS = 3;
/**
 * 429s per post before the connection is passed on. API Gateway also answers 429 for one connection whose
 * client does not read (its buffer is full): no pace would help that one, and it must not hold the page.
 */
const MAX_THROTTLES = 8;
const FAULT_BACKOFF_MS = 50;

/**
 * One post of a fan-out worker. Every attempt waits for the pacer. A 429 slows the pacer and is tried
 * again; a 5xx or no answer is tried again after a backoff; `later` when the attempts are used up or the
 * invocation's time (`deadline`, epoch ms) has run out: the worker hands the connection to a continuation
 * message, so neither drops the delivery. Anything else (403, 413) is `failed`: it would fail again.
 */
export async function pacedPost(
  deps: { gateway: Gateway; clock: Clock; log: Log },
  pacer: Pacer,
  deadline: number,
  connectionId: string,
  payload: Uint8Array,
): Promise<PacedResult> {
  let faults = 0;
  let throttles = 0;
  for (;;) {
    if (deps.clock.now() >= deadline) return 'later';
    await pacer.take();
    try {
      const outcome = await deps.gateway.post(connectionId, payload);
      pacer.succeeded();
      return outcome;
    } catch (error) {
      if (error instanceof GatewayError && error.status === 429) {
        pacer.throttled();
        if (++throttles >= MAX_THROTTLES) return 'later';
        continue;
      }
      if (!(error instanceof GatewayError && error.retryable)) {
        deps.log.warn('post failed', { connectionId, error: String(error) });
        return 'failed';
      }
      if (++faults >= MAX_FAULTS) return 'later';
      await deps.clock.sleep(FAULT_BACKOFF_MS * 2 ** (faults - 1));
    }
  }
}

/**
 * The pacers of one function's handler: one per invocation running at once. In AWS that is one (an
 * execution environment runs one invocation at a time, and keeps its pacer's state from one to the next);
 * the local stack runs every concurrent invocation in one process, with one pacer each all the same.
 */
export class PacerPool {
  readonly #free: Pacer[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly share: number,
  ) {}

  async using<T>(work: (pacer: Pacer) => Promise<T>): Promise<T> {
    const pacer = this.#free.pop() ?? new Pacer(this.clock, this.share);
    try {
      return await work(pacer);
    } finally {
      this.#free.push(pacer);
    }
  }
}
