import type { Channel } from './channels';
import type { Clock, HistoryEntry, MessageStore, Metrics } from './ports';

export interface RecoveryDeps {
  messages: Pick<MessageStore, 'history'>;
  clock: Clock;
  metrics: Metrics;
}

/** The most frames one `subscribe` replays; past that, `recovered: false` sends the client to HTTP history. */
export const REPLAY_MAX = 500;
const PAGE = 100;
const GAP_RETRIES = [20, 40, 80, 160];

export interface Replay {
  entries: HistoryEntry[];
  /** True when every message after `since` up to `upTo` is in `entries`. */
  recovered: boolean;
}

/**
 * Reads the stored messages of a channel with seq in (since, upTo], oldest first. A seq can be allocated
 * a moment before its history entry is written; a gap at the newest end is therefore re-read a few times
 * before the replay settles for what is there.
 */
export async function readReplay(
  deps: RecoveryDeps,
  channel: Channel,
  since: number,
  upTo: number,
): Promise<Replay> {
  const keep = channel.namespace.history?.keep ?? null;
  const floor = keep === null ? since : Math.max(since, upTo - keep);
  const wanted = Math.min(upTo - floor, REPLAY_MAX);
  if (wanted <= 0) return { entries: [], recovered: since <= upTo };

  let entries: HistoryEntry[] = [];
  for (let attempt = 0; ; attempt++) {
    entries = await readRange(deps, channel.id, floor, floor + wanted);
    const delay = GAP_RETRIES[attempt];
    if (entries.length >= wanted || delay === undefined) break;
    await deps.clock.sleep(delay);
  }
  const complete = entries.length === wanted && floor === since && upTo - since <= REPLAY_MAX;
  deps.metrics.count('RecoveredMessages', entries.length);
  return { entries, recovered: complete };
}

async function readRange(
  deps: RecoveryDeps,
  channel: string,
  after: number,
  upTo: number,
): Promise<HistoryEntry[]> {
  const out: HistoryEntry[] = [];
  let from = after;
  while (from < upTo) {
    const page = await deps.messages.history(channel, from, Math.min(PAGE, upTo - from));
    for (const e of page.entries) if (e.seq <= upTo) out.push(e);
    if (page.next === null || page.entries.length === 0) break;
    from = page.next;
  }
  return out;
}
