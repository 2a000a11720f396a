/**
 * The settings the protocol core reads. shared/app/config.ts builds them (and the features' own) from the
 * environment; the values' defaults live in shared/app/defaults.ts, nowhere else. Functions ask for the
 * part they use: `{ config: { limits: Pick<Limits, 'maxDataBytes'> } }`.
 */

/** PROTOCOL.md section 7. */
export interface Limits {
  /** Frames one connection may send per minute. */
  ratePerMinute: number;
  channelsPerConnection: number;
  connectionsPerUser: number;
  /** Largest `data` of a publication, in bytes of JSON (a namespace may set its own). */
  maxDataBytes: number;
  /** How long a connection record lives at most (API Gateway closes a connection after 2 h). */
  connectionTtlSeconds: number;
}

/**
 * How long a publish (any request with an idempotency key) may run: one unfinished after `staleAfterMs` has
 * died (a crash, a function stopped at its timeout), so a retry takes its key over and a seq it took without
 * storing its message is voided. Longer than any function's timeout.
 */
export interface PublishSettings {
  staleAfterMs: number;
}

/** How a delivery posts: requests in flight at once, and subscribers read per Query page. */
export interface FanOutSettings {
  concurrency: number;
  pageSize: number;
  /**
   * Audiences (a channel's subscriber count) up to this many are posted to in-process by the publisher;
   * larger ones go to the fan-out workers, where the publisher has their queue (core/delivery/fan-out.ts).
   */
  queueThreshold: number;
}

/** How the fan-out workers pace themselves (core/delivery/pacing.ts). */
export interface WorkerSettings {
  /** Requests a second the account allows on the Management API (every `@connections` call shares it). */
  quotaPerSecond: number;
  /** Workers at once (the event source's maximum concurrency): each posts at most quotaPerSecond ÷ workers. */
  workers: number;
}
