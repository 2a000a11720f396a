/**
 * In-memory fakes of the ports, for tests without AWS: none of them imports the AWS SDK. They keep the
 * contracts of the DynamoDB adapters (ordering, conditions, counts) so a test that passes here means the
 * same as against the table. Extend a fake when you add a port method: the type checker lists what is
 * missing. `fakeWorld()` is a whole runtime (shared/app/runtime.ts) made of them.
 */
import type { MetricsBuffer } from '../../shared/adapters/powertools-metrics';
import { type Env, loadConfig } from '../../shared/app/config';
import { createRuntime, type Runtime } from '../../shared/app/runtime';
import { createTokenVerifier, TokenError, type TokenVerifier } from '../../shared/core/auth/jwt';
import { createChannelRegistry, shardOf, userNamespace } from '../../shared/core/channels';
import type { BreakdownMetric, CountMetric, DurationMetric } from '../../shared/core/metrics';
import {
  ChannelLimitError,
  type Clock,
  ConnectAbandonedError,
  ConnectionGoneError,
  type ConnectionInfo,
  type ConnectionRecord,
  type ConnectionStats,
  type ConnectionStore,
  type FanOutQueue,
  type Gateway,
  GatewayError,
  type HistoryEntry,
  type HistoryPage,
  type IdempotencyClaim,
  type IdempotencyStore,
  type Ids,
  type Log,
  type MessageStore,
  type PostOutcome,
  type PutOptions,
  type PutResult,
  type RemovedConnection,
  type SubscribeResult,
  type Subscriber,
  type SubscriberPage,
  type SubscriberPageQuery,
  type SubscriberQuery,
  type UnsubscribeResult,
} from '../../shared/core/ports';
import type { Chat, ChatStore } from '../../shared/features/chat/store';
import type { CounterChange, CounterState, CounterStore } from '../../shared/features/counters/store';
import {
  type Device,
  InvalidCursorError,
  type IotStore,
  type ReadingPage,
  type ReadingRange,
  type Sensor,
  type StoredReading,
  UNKNOWN_STATUS,
} from '../../shared/features/iot/store';
import type {
  LivePushConfig,
  LivePushSettings,
  LivePushStore,
  LiveStatsTrigger,
} from '../../shared/features/live-stats/store';
import { featureNamespaces } from '../../shared/features/manifests';
import { UNIT_AUTH_ENV } from './tokens';

export class FakeClock implements Clock {
  constructor(public t = Date.UTC(2026, 10, 23, 12, 0, 0)) {}
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.t += ms;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export class SequentialIds implements Ids {
  #n = 0;
  next(): string {
    this.#n++;
    return `msg-${String(this.#n).padStart(6, '0')}`;
  }
}

const namespaces = createChannelRegistry([userNamespace, ...featureNamespaces]);

export class FakeConnectionStore implements ConnectionStore {
  readonly records = new Map<string, ConnectionRecord>();
  /** channel → connectionId → subscriber */
  readonly subs = new Map<string, Map<string, Subscriber>>();
  readonly frames = new Map<string, number>();

  constructor(
    /** How many shards a channel has: the namespaces' own counts, as the runtime's registry says. */
    readonly shardsOf: (channel: string) => number = (channel) => namespaces.subscriberShards(channel),
  ) {}

  async put(record: ConnectionRecord, options: PutOptions = {}): Promise<PutResult> {
    if (options.stop?.()) throw new ConnectAbandonedError(record.connectionId);
    this.records.set(record.connectionId, { ...record, channels: [...record.channels] });
    const joined: Record<string, number> = {};
    const counts: Record<string, number> = {};
    for (const channel of record.channels) {
      const m = this.subs.get(channel) ?? new Map<string, Subscriber>();
      this.subs.set(channel, m);
      m.set(record.connectionId, {
        connectionId: record.connectionId,
        userId: record.principal.sub,
        username: record.principal.username,
        ...(record.dialect ? { dialect: record.dialect } : {}),
        connectedAt: record.connectedAt,
      });
      // As the DynamoDB store knows it: the count of the joiner's shard.
      const shards = this.shardsOf(channel);
      const mine = shardOf(record.connectionId, shards);
      joined[channel] = [...m.keys()].filter((id) => shardOf(id, shards) === mine).length;
      if (shards > 1 && options.count?.includes(channel)) counts[channel] = m.size;
    }
    return { joined, counts };
  }
  async get(id: string): Promise<ConnectionRecord | null> {
    const r = this.records.get(id);
    return r ? { ...r, channels: [...r.channels].sort() } : null;
  }
  async remove(id: string, channelHint?: string): Promise<RemovedConnection | null> {
    const record = this.records.get(id);
    if (!record) {
      if (channelHint) this.subs.get(channelHint)?.delete(id);
      return null;
    }
    this.records.delete(id);
    const left: string[] = [];
    for (const channel of new Set([...record.channels, ...(channelHint ? [channelHint] : [])])) {
      if (this.subs.get(channel)?.delete(id)) left.push(channel);
    }
    return { record, left };
  }
  async subscribe(
    id: string,
    channel: string,
    max: number,
    options: { replayPending?: boolean } = {},
  ): Promise<SubscribeResult> {
    const record = this.records.get(id);
    if (!record) throw new ConnectionGoneError(id);
    const m = this.subs.get(channel) ?? new Map<string, Subscriber>();
    this.subs.set(channel, m);
    if (m.has(id)) return { added: false, count: m.size };
    if (record.channels.length >= max) throw new ChannelLimitError(String(max));
    m.set(id, {
      connectionId: id,
      userId: record.principal.sub,
      username: record.principal.username,
      ...(record.dialect ? { dialect: record.dialect } : {}),
      connectedAt: record.connectedAt,
      ...(options.replayPending ? { replayPending: true } : {}),
    });
    record.channels.push(channel);
    return { added: true, count: m.size };
  }
  async unsubscribe(id: string, channel: string): Promise<UnsubscribeResult> {
    const record = this.records.get(id);
    if (record) record.channels = record.channels.filter((c) => c !== channel);
    const m = this.subs.get(channel);
    const removed = m?.delete(id) ?? false;
    return { removed, count: m?.size ?? 0 };
  }
  async setReplayedTo(id: string, channel: string, seq: number): Promise<void> {
    const s = this.subs.get(channel)?.get(id);
    if (s) {
      s.replayedTo = seq;
      delete s.replayPending;
    }
  }
  async getSubscription(channel: string, id: string): Promise<Subscriber | null> {
    const s = this.subs.get(channel)?.get(id);
    return s ? { ...s } : null;
  }
  subscriberShards(channel: string): number {
    return this.shardsOf(channel);
  }
  /** Every subscriber of the channel, `pageSize` a page. */
  async *subscribers(channel: string, query: SubscriberQuery = {}): AsyncIterable<Subscriber[]> {
    const pageSize = query.pageSize ?? 1000;
    const all = [...(this.subs.get(channel)?.values() ?? [])].map((s) => ({ ...s }));
    for (let i = 0; i < all.length; i += pageSize) yield all.slice(i, i + pageSize);
  }
  /** As DynamoDB's Query of one shard: in connection id order, a next while any may follow. */
  async subscriberPage(channel: string, shard: number, query: SubscriberPageQuery): Promise<SubscriberPage> {
    const { pageSize, after } = query;
    const shards = this.shardsOf(channel);
    const rest = [...(this.subs.get(channel)?.values() ?? [])]
      .filter((s) => shardOf(s.connectionId, shards) === shard)
      .filter((s) => after === undefined || s.connectionId > after)
      .sort((a, b) => (a.connectionId < b.connectionId ? -1 : 1));
    const subscribers = rest.slice(0, pageSize).map((s) => ({ ...s }));
    const last = subscribers.at(-1);
    return { subscribers, ...(rest.length > pageSize && last ? { next: last.connectionId } : {}) };
  }
  async countSubscribers(channel: string): Promise<number> {
    return this.subs.get(channel)?.size ?? 0;
  }
  async connectionsOfUser(userId: string): Promise<string[]> {
    return [...this.records.values()].filter((r) => r.principal.sub === userId).map((r) => r.connectionId);
  }
  async countFrame(id: string, windowStart: number): Promise<number> {
    const k = `${id}#${windowStart}`;
    const n = (this.frames.get(k) ?? 0) + 1;
    this.frames.set(k, n);
    return n;
  }
  async stats(): Promise<ConnectionStats> {
    const users = new Set([...this.records.values()].map((r) => r.principal.sub).filter((s) => s !== null));
    return {
      connections: this.records.size,
      channels: [...this.subs.values()].filter((m) => m.size > 0).length,
      users: users.size,
    };
  }
  channelsOf(id: string): string[] {
    return [...this.subs.entries()].filter(([, m]) => m.has(id)).map(([c]) => c);
  }
}

export class FakeMessageStore implements MessageStore {
  readonly seqs = new Map<string, number>();
  readonly seqTakenAt = new Map<string, number>();
  readonly histories = new Map<string, HistoryEntry[]>();

  constructor(private readonly clock: Clock = new FakeClock()) {}

  async nextSeq(channel: string): Promise<number> {
    const n = (this.seqs.get(channel) ?? 0) + 1;
    this.seqs.set(channel, n);
    this.seqTakenAt.set(channel, this.clock.now());
    return n;
  }
  async currentSeq(channel: string): Promise<number> {
    return this.seqs.get(channel) ?? 0;
  }
  async lastSeq(channel: string): Promise<{ seq: number; at: number | null }> {
    return { seq: this.seqs.get(channel) ?? 0, at: this.seqTakenAt.get(channel) ?? null };
  }
  async appendHistory(channel: string, entry: HistoryEntry): Promise<HistoryEntry | null> {
    const list = this.histories.get(channel) ?? [];
    const found = list.find((e) => e.seq === entry.seq);
    if (found) return { ...found };
    list.push({ ...entry });
    list.sort((a, b) => a.seq - b.seq);
    this.histories.set(channel, list);
    return null;
  }
  async history(channel: string, afterSeq: number, limit: number): Promise<HistoryPage> {
    const after = (this.histories.get(channel) ?? []).filter((e) => e.seq > afterSeq);
    const entries = after.slice(0, limit);
    return { entries, next: after.length > limit ? (entries.at(-1)?.seq ?? null) : null };
  }
  async historyBefore(channel: string, beforeSeq: number | null, limit: number): Promise<HistoryPage> {
    const before = (this.histories.get(channel) ?? [])
      .filter((e) => beforeSeq === null || e.seq < beforeSeq)
      .reverse();
    const entries = before.slice(0, limit);
    return { entries, next: before.length > limit ? (entries.at(-1)?.seq ?? null) : null };
  }
}

interface IdempotencyRecord {
  state: 'pending' | 'done';
  id: string;
  fingerprint: string;
  owner: string;
  createdAt: number;
  startedAt: number;
  seqs: Record<string, number>;
  result?: unknown;
}

export class FakeIdempotencyStore implements IdempotencyStore {
  readonly records = new Map<string, IdempotencyRecord>();

  async claim<T>(
    key: string,
    claim: { id: string; fingerprint: string; owner: string; now: number; staleAfterMs: number },
  ): Promise<IdempotencyClaim<T>> {
    const existing = this.records.get(key);
    if (!existing) {
      const record = {
        state: 'pending' as const,
        ...claim,
        createdAt: claim.now,
        startedAt: claim.now,
        seqs: {},
      };
      this.records.set(key, record);
      return { claimed: true, id: claim.id, startedAt: claim.now, reserved: {} };
    }
    const base = {
      claimed: false as const,
      id: existing.id,
      createdAt: existing.createdAt,
      fingerprint: existing.fingerprint,
    };
    if (existing.state === 'done') {
      return { ...base, state: 'done', result: structuredClone(existing.result) as T };
    }
    const stale = existing.createdAt < claim.now - claim.staleAfterMs;
    if (!stale || existing.fingerprint !== claim.fingerprint) return { ...base, state: 'pending' };
    Object.assign(existing, { owner: claim.owner, createdAt: claim.now });
    return { claimed: true, id: existing.id, startedAt: existing.startedAt, reserved: { ...existing.seqs } };
  }
  async reserve(key: string, owner: string, channel: string, seq: number): Promise<boolean> {
    const e = this.records.get(key);
    if (e?.owner !== owner || e.state !== 'pending') return false;
    e.seqs[channel] = seq;
    return true;
  }
  async complete<T>(key: string, owner: string, result: T): Promise<boolean> {
    const e = this.records.get(key);
    if (e?.owner !== owner) return false;
    // Kept as the table keeps it: a copy, not the caller's object.
    Object.assign(e, { state: 'done', result: structuredClone(result) });
    return true;
  }
  async release(key: string, owner: string): Promise<void> {
    const e = this.records.get(key);
    if (e?.owner !== owner) return;
    if (Object.keys(e.seqs).length === 0) this.records.delete(key);
    else if (e.state === 'pending') e.createdAt = 0;
  }
}

/** Chats and their participants in memory. */
export class FakeChatStore implements ChatStore {
  readonly records = new Map<string, Omit<Chat, 'participants'>>();
  readonly participants = new Map<string, Set<string>>();

  async create(chat: Chat): Promise<void> {
    if (this.records.has(chat.id)) throw new Error(`chat ${chat.id} exists`);
    this.participants.set(chat.id, new Set(chat.participants));
    this.records.set(chat.id, { id: chat.id, createdAt: chat.createdAt, createdBy: chat.createdBy });
  }
  async get(chatId: string): Promise<Chat | null> {
    const record = this.records.get(chatId);
    if (!record) return null;
    return { ...record, participants: [...(this.participants.get(chatId) ?? [])].sort() };
  }
  async isParticipant(chatId: string, userId: string): Promise<boolean> {
    return this.participants.get(chatId)?.has(userId) ?? false;
  }
  async addParticipant(chatId: string, userId: string): Promise<boolean> {
    const set = this.participants.get(chatId) ?? new Set<string>();
    this.participants.set(chatId, set);
    if (set.has(userId)) return false;
    set.add(userId);
    return true;
  }
}

/** Devices, sensors and readings in memory; `reads` counts registry reads (for the cache's tests). */
export class FakeIotStore implements IotStore {
  readonly devices = new Map<string, Device>();
  readonly sensors = new Map<string, Sensor>();
  /** sensorId → readings in key order (time, then id), as the table's sort key keeps them. */
  readonly stored = new Map<string, StoredReading[]>();
  reads = 0;

  async getDevice(id: string): Promise<Device | null> {
    this.reads++;
    const d = this.devices.get(id);
    return d ? { ...d } : null;
  }
  async putDevice(input: { id: string; name: string; status?: string; now: number }): Promise<Device> {
    const status = input.status ?? this.devices.get(input.id)?.status ?? UNKNOWN_STATUS;
    const device = { id: input.id, name: input.name, status, updatedAt: input.now };
    this.devices.set(input.id, device);
    return { ...device };
  }
  async setDeviceStatus(id: string, status: string, now: number): Promise<Device | null> {
    const d = this.devices.get(id);
    if (!d) return null;
    Object.assign(d, { status, updatedAt: now });
    return { ...d };
  }
  async getSensor(id: string): Promise<Sensor | null> {
    this.reads++;
    const s = this.sensors.get(id);
    return s ? { ...s } : null;
  }
  async putSensor(input: Omit<Sensor, 'updatedAt'> & { now: number }): Promise<Sensor> {
    const { now, ...rest } = input;
    const sensor = { ...rest, updatedAt: now };
    this.sensors.set(input.id, sensor);
    return { ...sensor };
  }
  async putReadings(readings: readonly StoredReading[]): Promise<void> {
    for (const r of readings) {
      const list = this.stored.get(r.sensorId) ?? [];
      list.push({ ...r });
      list.sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
      this.stored.set(r.sensorId, list);
    }
  }
  async readings(sensorId: string, range: ReadingRange): Promise<ReadingPage> {
    const inRange = (this.stored.get(sensorId) ?? []).filter(
      (r) =>
        (range.from === undefined || r.timestamp >= range.from) &&
        (range.to === undefined || r.timestamp <= range.to),
    );
    let start = 0;
    if (range.cursor !== undefined) {
      const i = inRange.findIndex((r) => sortKey(r) === range.cursor);
      if (i === -1) throw new InvalidCursorError('unknown cursor');
      start = i + 1;
    }
    const page = inRange.slice(start, start + range.limit);
    const more = start + range.limit < inRange.length;
    return { readings: page.map((r) => ({ ...r })), next: more ? sortKey(page.at(-1)!) : null };
  }
}

const sortKey = (r: StoredReading) => `${r.timestamp}#${r.id}`;

export class FakeCounterStore implements CounterStore {
  readonly counters = new Map<string, CounterState>();
  async apply(name: string, change: CounterChange): Promise<CounterState> {
    const { total, version } = this.counters.get(name) ?? { total: 0, version: 0 };
    const next = {
      total:
        change.action === 'reset'
          ? 0
          : total + (change.action === 'increment' ? change.value : -change.value),
      version: version + 1,
    };
    this.counters.set(name, next);
    return { ...next };
  }
  async read(name: string): Promise<CounterState> {
    return { ...(this.counters.get(name) ?? { total: 0, version: 0 }) };
  }
}

export class FakeLivePushStore implements LivePushStore {
  config: LivePushConfig | null = null;
  /** `generation#slot` of every claimed slot. */
  readonly claimed = new Set<string>();
  async read(): Promise<LivePushConfig | null> {
    return this.config && { ...this.config };
  }
  async start(settings: LivePushSettings, now: number): Promise<LivePushConfig> {
    this.config = {
      ...settings,
      enabled: true,
      generation: (this.config?.generation ?? 0) + 1,
      startedAt: now,
    };
    return { ...this.config };
  }
  async stop(): Promise<LivePushConfig | null> {
    if (!this.config) return null;
    this.config = { ...this.config, enabled: false };
    return { ...this.config };
  }
  async claimSlot(generation: number, slot: number): Promise<boolean> {
    const key = `${generation}#${slot}`;
    if (this.claimed.has(key)) return false;
    this.claimed.add(key);
    return true;
  }
}

/** Counts the runs POST /v1/live-push would start; `onStart` lets a test run one. */
export class FakeLiveStatsTrigger implements LiveStatsTrigger {
  started = 0;
  onStart: (() => void) | undefined;
  async start(): Promise<void> {
    this.started++;
    this.onStart?.();
  }
}

/** Records every post; connections in `gone` answer like API Gateway does for a closed socket (gone). */
export class FakeGateway implements Gateway {
  readonly posts: { connectionId: string; data: Uint8Array }[] = [];
  readonly gone = new Set<string>();
  readonly closed: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  /** Simulated latency of one post, in real milliseconds (0: resolve on the next tick). */
  latencyMs = 0;
  /** Answers an HTTP status other than 200/410 to a post: the Management API throttling (429) or failing. */
  failWith: ((connectionId: string) => number | undefined) | undefined;
  /** Posts answered with a status of `failWith`. */
  refused = 0;

  async post(connectionId: string, data: Uint8Array): Promise<PostOutcome> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((r) => setTimeout(r, this.latencyMs));
      const status = this.failWith?.(connectionId);
      if (status !== undefined) {
        this.refused++;
        throw new GatewayError(`HTTP ${status}`, { status, retryable: status === 429 || status >= 500 });
      }
      if (this.gone.has(connectionId)) return 'gone';
      this.posts.push({ connectionId, data });
      return 'delivered';
    } finally {
      this.inFlight--;
    }
  }
  async close(connectionId: string): Promise<boolean> {
    this.closed.push(connectionId);
    return !this.gone.has(connectionId);
  }
  async info(connectionId: string): Promise<ConnectionInfo | null> {
    return this.gone.has(connectionId)
      ? null
      : { connectedAt: undefined, lastActiveAt: undefined, sourceIp: '127.0.0.1' };
  }
  /** The frames posted to one connection, parsed. */
  framesTo(connectionId: string): Record<string, unknown>[] {
    return this.posts
      .filter((p) => p.connectionId === connectionId)
      .map((p) => JSON.parse(new TextDecoder().decode(p.data)) as Record<string, unknown>);
  }
}

/** The fan-out queue in memory: every message sent, in order, with its delay. */
export class FakeFanOutQueue implements FanOutQueue {
  readonly sent: { body: string; delaySeconds: number }[] = [];
  /** Sends that fail (SQS unavailable), from the next one on. */
  failures = 0;

  async send(bodies: readonly string[], options: { delaySeconds?: number } = {}): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('SQS is unavailable');
    }
    for (const body of bodies) this.sent.push({ body, delaySeconds: options.delaySeconds ?? 0 });
  }

  /** Takes up to `max` messages, oldest first, as an event source receives a batch. */
  take(max: number): { body: string; delaySeconds: number }[] {
    return this.sent.splice(0, max);
  }
}

export const rejectingVerifier: TokenVerifier = {
  verify: async () => {
    throw new TokenError('no issuer in this test');
  },
};

export class MemoryLog implements Log {
  readonly lines: { level: string; message: string; extra?: Record<string, unknown> }[] = [];
  debug(message: string, extra?: Record<string, unknown>) {
    this.lines.push({ level: 'debug', message, ...(extra ? { extra } : {}) });
  }
  info(message: string, extra?: Record<string, unknown>) {
    this.lines.push({ level: 'info', message, ...(extra ? { extra } : {}) });
  }
  warn(message: string, extra?: Record<string, unknown>) {
    this.lines.push({ level: 'warn', message, ...(extra ? { extra } : {}) });
  }
  error(message: string, extra?: Record<string, unknown>) {
    this.lines.push({ level: 'error', message, ...(extra ? { extra } : {}) });
  }
}

/** The metrics as the core records them (totals, breakdowns, samples), and how often they were flushed. */
export class FakeMetrics implements MetricsBuffer {
  readonly totals: Partial<Record<CountMetric | BreakdownMetric, number>> = {};
  readonly breakdowns: Partial<Record<BreakdownMetric, Record<string, number>>> = {};
  readonly samples: Partial<Record<DurationMetric, number[]>> = {};
  flushes = 0;
  count(name: CountMetric, value = 1) {
    if (value !== 0) this.totals[name] = (this.totals[name] ?? 0) + value;
  }
  countBy(name: BreakdownMetric, by: string, value = 1) {
    if (value === 0) return;
    this.totals[name] = (this.totals[name] ?? 0) + value;
    const values = this.breakdowns[name] ?? {};
    values[by] = (values[by] ?? 0) + value;
    this.breakdowns[name] = values;
  }
  duration(name: DurationMetric, ms: number) {
    this.samples[name] = [...(this.samples[name] ?? []), ms];
  }
  async flush() {
    this.flushes++;
  }
}

/** A runtime made of fakes, each reachable with its own type. */
export type FakeWorld = Runtime & {
  connections: FakeConnectionStore;
  messages: FakeMessageStore;
  idempotency: FakeIdempotencyStore;
  chats: FakeChatStore;
  iot: FakeIotStore;
  gateway: FakeGateway;
  clock: FakeClock;
  ids: SequentialIds;
  log: MemoryLog;
  counters: FakeCounterStore;
  livePush: FakeLivePushStore;
  fanOutQueue: FakeFanOutQueue;
  metrics: FakeMetrics;
};

/** The parts of a fake world, for a test that builds its own runtime from them (with a real gateway, say). */
export function fakeParts() {
  const clock = new FakeClock();
  return {
    connections: new FakeConnectionStore(),
    messages: new FakeMessageStore(clock),
    idempotency: new FakeIdempotencyStore(),
    chats: new FakeChatStore(),
    iot: new FakeIotStore(),
    counters: new FakeCounterStore(),
    livePush: new FakeLivePushStore(),
    fanOutQueue: new FakeFanOutQueue(),
    clock,
    ids: new SequentialIds(),
    log: new MemoryLog(),
    metrics: new FakeMetrics(),
  };
}

/**
 * A whole runtime of fakes, built by the one function that builds every runtime. Its verifier is the real
 * one, trusting the unit tests' issuer (test/support/tokens.ts `unitToken`) unless `env` names another.
 */
export function fakeWorld(
  env: Env = {},
  verifier: TokenVerifier = createTokenVerifier(loadConfig({ ...UNIT_AUTH_ENV, ...env }).auth),
): FakeWorld {
  const parts = { ...fakeParts(), gateway: new FakeGateway() };
  // Every port is one of `parts`: the runtime holds these very objects, so the narrower type is true.
  return createRuntime(env, { ...parts, verifier }) as FakeWorld;
}
