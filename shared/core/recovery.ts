import type { Channel, History } from './channels';
import { frameOf } from './delivery/envelope';
import type { Clock, HistoryEntry, Ids, Log, MessageStore, Metrics } from './ports';
import { isoTime } from './protocol';
import type { PublishSettings } from './settings';

/**
 * Reading a channel's history by seq, for recovery (`subscribe` with `since`) and GET /v1/channels/{channel}/
 * history alike, with the one rule for a seq whose publish died (issue 14).
 *
 * A seq is taken a moment before its message is stored. A publish that dies in between (a crash, a function
 * stopped at its timeout) leaves a seq that no entry will ever hold: without more, every client that
 * recovers over it would wait for it, and read history for it, forever. So a reader that finds a seq missing
 * for longer than a publish may take (IDEMPOTENCY_STALE_SECONDS, longer than any function's timeout) writes a
 * void marker there: `{"type":"void","channel","id","timestamp","seq"}`, which every later reader gets in
 * its place, and which clients skip (client/channel-order.ts). Entries are written once (a conditional put),
 * so a void marker and a message never share a seq: a publish that comes late after all finds the marker and
 * takes a new seq (core/publish.ts); a retry of an idempotent publish stores its message at the seq it had
 * reserved, if no marker got there first.
 */
export interface RecoveryDeps {
  messages: Pick<MessageStore, 'history' | 'historyBefore' | 'lastSeq' | 'appendHistory'>;
  clock: Clock;
  metrics: Metrics;
  ids: Ids;
  log: Log;
  config: { publish: PublishSettings };
}

/** The type of a void marker: the seq holds no message (its publish died). */
export const VOID_TYPE = 'void';

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
 * before the replay settles for what is there, and a seq whose publish died is voided.
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

  let read: HistoryEntry[] = [];
  for (let attempt = 0; ; attempt++) {
    read = await readWithPrevious(deps, channel.id, floor, floor + wanted);
    const delay = GAP_RETRIES[attempt];
    if (read.filter((e) => e.seq > floor).length >= wanted || delay === undefined) break;
    await deps.clock.sleep(delay);
  }
  const entries = await withDeadSeqsVoided(deps, channel, floor, floor + wanted, read);
  const complete = entries.length === wanted && floor === since && upTo - since <= REPLAY_MAX;
  deps.metrics.count('RecoveredMessages', entries.length);
  return { entries, recovered: complete };
}

/**
 * The entries of a channel with seq in (after, upTo], oldest first, each seq whose publish died voided. A
 * seq missing for a shorter while (its message may still come) or one that expired is left out: the
 * caller sees fewer entries than seqs.
 */
export async function readRange(
  deps: RecoveryDeps,
  channel: Channel,
  after: number,
  upTo: number,
): Promise<HistoryEntry[]> {
  return withDeadSeqsVoided(
    deps,
    channel,
    after,
    upTo,
    await readWithPrevious(deps, channel.id, after, upTo),
  );
}

/**
 * The stored entries in (after, upTo], and the one at `after` itself: when its seq was taken bounds when a
 * missing one after it was (mayHaveExpired).
 */
const readWithPrevious = (deps: RecoveryDeps, channel: string, after: number, upTo: number) =>
  readStored(deps, channel, Math.max(0, after - 1), upTo);

async function withDeadSeqsVoided(
  deps: RecoveryDeps,
  channel: Channel,
  after: number,
  upTo: number,
  read: HistoryEntry[],
): Promise<HistoryEntry[]> {
  const entries = read.filter((e) => e.seq > after);
  const history = channel.namespace.history;
  if (!history || entries.length >= upTo - after) return entries;
  const voided = await voidDeadSeqs(deps, channel, history, after, upTo, read);
  return voided.length === 0 ? entries : [...entries, ...voided].sort((a, b) => a.seq - b.seq);
}

async function readStored(
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

/**
 * Voids the seqs in (after, upTo] that no entry holds and whose publish has certainly died. Seqs are taken
 * in order, so a missing seq was taken before the next seq that holds an entry was (its `at`, or for a void
 * marker when it was written), or, past the last entry, before the channel's last seq was: when that is
 * longer ago than a publish may take, the publish that took the missing seq died. Where entries expire, a missing seq may also be a message that
 * expired: it is voided only when the entry before it, taken earlier, is recent enough that the missing
 * one would still be there (a seq with no entry before it at all is left alone: it cannot be told from an
 * expired one). What was written in its place (the marker, or a message that won the race) is returned.
 */
async function voidDeadSeqs(
  deps: RecoveryDeps,
  channel: Channel,
  history: History,
  after: number,
  upTo: number,
  read: readonly HistoryEntry[],
): Promise<HistoryEntry[]> {
  const now = deps.clock.now();
  const stale = deps.config.publish.staleAfterMs;
  const bySeq = new Map(read.map((e) => [e.seq, e]));
  const missing: { seq: number; takenBefore: number | null }[] = [];
  // Walking down: when the next seq that holds an entry was taken, or its void marker written (null: not known).
  let takenBefore: number | null | 'last' = 'last';
  for (let seq = upTo; seq > after; seq--) {
    const entry = bySeq.get(seq);
    if (entry) takenBefore = entry.at ?? voidedAt(entry);
    else {
      if (takenBefore === 'last') takenBefore = (await deps.messages.lastSeq(channel.id)).at;
      missing.push({ seq, takenBefore });
    }
  }
  const dead: number[] = [];
  let before: HistoryEntry | null | undefined; // the newest entry below `after + 1`, read when needed
  for (const { seq, takenBefore: taken } of missing.reverse()) {
    if (taken === null || taken >= now - stale) continue;
    if (history.ttlSeconds !== null) {
      // Void markers say nothing of when their seq was taken: the entry before is the newest message.
      let previous = read.filter((e) => e.seq < seq && e.at !== undefined).at(-1);
      if (!previous) {
        before ??= (await deps.messages.historyBefore(channel.id, after + 1, 1)).entries[0] ?? null;
        previous = before ?? undefined;
      }
      // The missing one was taken after `previous` and stored within `stale` of that, or never.
      const expiredBy = previous?.at === undefined ? null : previous.at + history.ttlSeconds * 1000 - stale;
      if (expiredBy === null || expiredBy <= now) continue;
    }
    dead.push(seq);
  }
  const written: HistoryEntry[] = [];
  for (const seq of dead) written.push(await voidSeq(deps, channel, seq));
  if (dead.length > 0) deps.log.warn('voided seqs whose publish died', { channel: channel.id, seqs: dead });
  return written;
}

/**
 * When a void marker was written (its timestamp), else null. Its own seq was taken before that, and so was
 * every seq below it: a bound for a missing seq under a marker, which keeps no `at` of its own.
 */
function voidedAt(entry: HistoryEntry): number | null {
  const frame = JSON.parse(entry.frame) as { type?: unknown; timestamp?: unknown };
  if (frame.type !== VOID_TYPE || typeof frame.timestamp !== 'string') return null;
  const at = Date.parse(frame.timestamp);
  return Number.isNaN(at) ? null : at;
}

/**
 * Writes a void marker at `seq` unless the seq holds an entry already; resolves with what the seq holds
 * then. Also what a publish does with a seq it took but lost the right to use (core/publish.ts).
 */
export async function voidSeq(
  deps: { messages: Pick<MessageStore, 'appendHistory'>; clock: Clock; ids: Ids },
  channel: Channel,
  seq: number,
): Promise<HistoryEntry> {
  const now = deps.clock.now();
  const ttl = channel.namespace.history?.ttlSeconds ?? null;
  const marker = frameOf(
    { type: VOID_TYPE, channel: channel.id, id: deps.ids.next(), timestamp: isoTime(now), seq },
    {},
  );
  const entry = { seq, frame: JSON.stringify(marker) };
  const found = await deps.messages.appendHistory(
    channel.id,
    entry,
    ttl === null ? null : Math.floor(now / 1000) + ttl,
  );
  return found ?? entry;
}
