/** The live push's ports: its config item and slot claims in the table, and the start of a run. */

export interface LivePushConfig {
  enabled: boolean;
  /** A `live` or `live:{name}` channel. */
  channel: string;
  intervalSeconds: number;
  /** Raised by every start: slots are counted per generation, from its `startedAt`. */
  generation: number;
  /** Epoch ms of the start of this generation; slot n begins at startedAt + n × interval. */
  startedAt: number;
}

export interface LivePushSettings {
  channel: string;
  intervalSeconds: number;
}

export interface LivePushStore {
  /** The config, read consistently (a stop must be seen by the next push); null when never started. */
  read(): Promise<LivePushConfig | null>;
  /** Turns the push on with these settings as a new generation starting `now`. */
  start(settings: LivePushSettings, now: number): Promise<LivePushConfig>;
  /** Turns it off; null when it was never started. */
  stop(now: number): Promise<LivePushConfig | null>;
  /**
   * Claims one slot of one generation for a push (a conditional put): true for exactly one caller, however
   * many runs try. `expiresAt` in epoch seconds.
   */
  claimSlot(generation: number, slot: number, expiresAt: number): Promise<boolean>;
}

/** Starts a run of the live-stats Lambda now, without waiting for it (asynchronous Invoke). */
export interface LiveStatsTrigger {
  start(): Promise<void>;
}
