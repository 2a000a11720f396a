import type { ChannelFrame } from './types';

/**
 * One channel's messages on their way to the application: each exactly once and, where the channel keeps
 * history (frames carry `seq`), in seq order.
 *
 * - A frame whose seq was delivered already is a repeat (two connections overlapping, a replay that
 *   crossed a live frame) and is dropped. Frames without seq are dropped when their `id` was seen.
 * - A frame past a gap is held. The missing ones usually come by themselves a moment later (the server
 *   fans out concurrent publishes concurrently; a replay follows `subscribed`); after `gapWaitMs` they are
 *   read from HTTP history, a few times, because a seq is allocated a moment before its message is stored.
 *   What history does not have either (trimmed, or never stored) is reported lost and skipped.
 * - A `void` frame (PROTOCOL.md section 3: a seq whose publish died) takes its seq's place and is skipped:
 *   the application never sees it, and nothing is reported lost.
 */
export interface OrderDeps {
  deliver(frame: ChannelFrame): void;
  /** Stored messages with seq in (since, upTo], oldest first. */
  fill(since: number, upTo: number): Promise<ChannelFrame[]>;
  lost(from: number, to: number): void;
  gapWaitMs: number;
}

/** The frame that stands for a seq without a message (its publish died): it fills the gap, nothing more. */
const VOID = 'void';
/** Re-reads of history before a gap is declared lost (after the first wait of `gapWaitMs`). */
const REFILL_DELAYS_MS = [250, 500, 1000];
/** The most frames held behind a gap; past it the gap is given up at once. */
const MAX_HELD = 1000;
/** How many ids of frames without seq are remembered for dropping repeats. */
const MAX_IDS = 500;

export class ChannelOrder {
  /** The newest seq delivered, or the start of the subscription; undefined until `subscribed` says. */
  last: number | undefined;
  /** The newest seq the server said exists (`subscribed.seq`): a replay or history brings the rest. */
  #expected = 0;
  #held = new Map<number, ChannelFrame>();
  #ids = new Set<string>();
  #filling = false;
  #stopped = false;

  constructor(
    private readonly deps: OrderDeps,
    since?: number,
  ) {
    this.last = since;
  }

  /** `subscribed`: a fresh subscription starts at its seq; a resumed one learns what to expect. */
  started(seq: number | undefined): void {
    if (seq === undefined) return;
    if (this.last === undefined) this.last = seq;
    else this.#expected = Math.max(this.#expected, seq);
    this.#drain();
  }

  push(frame: ChannelFrame): void {
    const { seq } = frame;
    if (typeof seq !== 'number') {
      if (this.#ids.has(frame.id)) return;
      this.#ids.add(frame.id);
      if (this.#ids.size > MAX_IDS) this.#ids.delete(this.#ids.values().next().value as string);
      this.deps.deliver(frame);
      return;
    }
    if (this.last !== undefined && seq <= this.last) return;
    this.#held.set(seq, frame);
    if (this.#held.size > MAX_HELD) this.#skip();
    this.#drain();
  }

  stop(): void {
    this.#stopped = true;
    this.#held.clear();
  }

  #drain(): void {
    if (this.last === undefined || this.#stopped) return;
    for (let next = this.#held.get(this.last + 1); next; next = this.#held.get(this.last + 1)) {
      this.#held.delete(++this.last);
      if (next.type === VOID) continue;
      this.deps.deliver(next);
      if (this.#stopped) return;
    }
    for (const seq of this.#held.keys()) if (seq <= this.last) this.#held.delete(seq);
    if (this.#gap() && !this.#filling) void this.#fill();
  }

  #gap(): boolean {
    return this.last !== undefined && (this.#held.size > 0 || this.#expected > this.last);
  }

  #target(): number {
    return Math.max(this.#expected, ...this.#held.keys());
  }

  async #fill(): Promise<void> {
    this.#filling = true;
    for (const delay of [this.deps.gapWaitMs, ...REFILL_DELAYS_MS]) {
      await new Promise((wake) => setTimeout(wake, delay));
      if (this.#stopped || !this.#gap()) break;
      const frames = await this.deps.fill(this.last as number, this.#target()).catch(() => []);
      for (const frame of frames) this.push(frame);
      if (!this.#gap()) break;
    }
    this.#filling = false;
    if (this.#stopped || !this.#gap()) return;
    this.#skip();
    this.#drain();
  }

  /** Gives up the oldest gap: reports it lost and moves past it. */
  #skip(): void {
    const { last } = this;
    const to = this.#held.size > 0 ? Math.min(...this.#held.keys()) - 1 : this.#expected;
    this.last = to;
    if (last !== undefined && to > last) this.deps.lost(last + 1, to);
  }
}
