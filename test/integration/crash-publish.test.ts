import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Frame, TestClient, unique } from './support/client';
import { api } from './support/http';
import { type SpawnedStack, spawnStack } from './support/spawned-stack';

/**
 * Crash-safe publishing (issue 14) with a real kill: the stack as `npm start` runs it, on a data directory,
 * publishing with ids from several connections at once, killed with SIGKILL mid-stream; restarted on the
 * same directory; every id sent is sent again at once and again once the killed attempts count as dead
 * (IDEMPOTENCY_STALE_SECONDS, short here). Every message ends up stored and delivered exactly once, no
 * `duplicate` answers a message that is not stored, and recovery over the interrupted range ends.
 */
const STALE_S = 10; // longer than a restart on a quiet machine (~6 s), so that some retries find their id in progress
const PUBLISHERS = 4;
const WINDOW = 8; // publishes in flight per connection
const KILL_AFTER_ACKS = 40;
const ARGS = (dir: string) => [
  '--data-dir',
  dir,
  '-c',
  `idempotencyStaleSeconds=${STALE_S}`,
  '-c',
  'rateLimitPerMinute=100000',
];

const stacks: SpawnedStack[] = [];
let dir: string | undefined;
afterAll(async () => {
  for (const s of stacks)
    if (s.process.exitCode === null && s.process.signalCode === null) await s.stop().catch(() => {});
  if (dir) await rm(dir, { recursive: true, force: true });
});

const start = async (d: string) => {
  const stack = await spawnStack(ARGS(d));
  stacks.push(stack);
  return stack;
};

type Answer = Frame & { type: 'ack' | 'error' };
const publishFrame = (room: string, id: string) => ({ type: 'publish', channel: room, id, data: { id } });

/** Sends publishes with ids on one socket, at most WINDOW unanswered, until stopped; records the answers. */
function publisher(ws: WebSocket, room: string, prefix: string) {
  const sent: string[] = [];
  const answers = new Map<string, Answer>();
  let n = 0;
  let stopped = false;
  const sendNext = () => {
    if (stopped || ws.readyState !== WebSocket.OPEN) return;
    const id = `${prefix}-${n++}`;
    sent.push(id);
    ws.send(JSON.stringify(publishFrame(room, id)));
  };
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as Frame;
    if ((frame.type === 'ack' || frame.type === 'error') && typeof frame.ref === 'string') {
      answers.set(frame.ref, frame as Answer);
      sendNext();
    }
  });
  for (let i = 0; i < WINDOW; i++) sendNext();
  return {
    sent,
    answers,
    stop: () => {
      stopped = true;
    },
  };
}

/** Sends each id once on a fresh connection and waits for every answer. */
async function retry(
  stack: SpawnedStack,
  room: string,
  ids: readonly string[],
): Promise<Map<string, Answer>> {
  const client = await TestClient.connect(stack.wsUrl, { channels: [room] });
  try {
    for (const id of ids) client.send(publishFrame(room, id));
    const answers = new Map<string, Answer>();
    while (answers.size < ids.length) {
      const f = await client.next(
        (x) => (x.type === 'ack' || x.type === 'error') && typeof x.ref === 'string',
      );
      answers.set(f.ref as string, f as Answer);
    }
    return answers;
  } finally {
    client.ws.terminate();
  }
}

/** The room's whole history over HTTP, oldest first. */
async function historyOf(stack: SpawnedStack, room: string): Promise<Frame[]> {
  const frames: Frame[] = [];
  for (let since: number | null = 0; since !== null; ) {
    const path = `/v1/channels/${encodeURIComponent(room)}/history?since=${since}&limit=100`;
    const page = (await api(stack.httpUrl, 'GET', path)).body as { messages: Frame[]; next: number | null };
    frames.push(...page.messages);
    since = page.next;
  }
  return frames;
}

const sleepUntil = (at: number) => new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));

describe('publishing with ids through a SIGKILL of the stack', () => {
  it('stores and delivers every message exactly once, answers no duplicate for what is not stored, and recovery ends', {
    // Two cold starts of the stack (DynamoDB Local on disk): ~25 s on a quiet machine, 110 s seen under load 15.
    timeout: 240_000,
  }, async () => {
    const began = Date.now();
    dir = await mkdtemp(join(tmpdir(), 'switchboard-crash-publish-'));
    const room = unique('room:crash-');
    const a = await start(dir);
    const startMs = Date.now() - began;
    const before = await TestClient.connect(a.wsUrl, { channels: [room] });
    const sockets = await Promise.all(
      Array.from({ length: PUBLISHERS }, () => TestClient.connect(a.wsUrl, { channels: [room] })),
    );
    const publishers = sockets.map((s, i) => publisher(s.ws, room, `p${i}`));
    const acked = () => publishers.reduce((n, p) => n + p.answers.size, 0);
    while (acked() < KILL_AFTER_ACKS) await new Promise((r) => setTimeout(r, 5));

    a.process.kill('SIGKILL');
    const crashedAt = Date.now();
    for (const p of publishers) p.stop();
    await a.exited;
    const sent = publishers.flatMap((p) => p.sent);
    const first = new Map(publishers.flatMap((p) => [...p.answers]));
    const unanswered = sent.filter((id) => !first.has(id));
    expect([...first.values()].every((f) => f.type === 'ack' && typeof f.seq === 'number')).toBe(true);

    const b = await start(dir);
    const restartMs = Date.now() - crashedAt;
    // A subscriber of the restarted stack, recovering the whole room: it must get every message once.
    const after = await TestClient.connect(b.wsUrl);
    after.send({ type: 'subscribe', channel: room, since: 0 });

    // At once: every id again. Acked ones are duplicates of what is stored; the others are stored now, or
    // were stored before the kill (a duplicate, with seq), or their first attempt counts as in progress.
    const atOnce = await retry(b, room, sent);
    const answers = new Map<string, Answer>();
    const inProgress: string[] = [];
    for (const [id, answer] of atOnce) {
      if (answer.type === 'error') {
        expect(answer).toMatchObject({ code: 'IDEMPOTENCY_KEY_IN_USE', retry_after_ms: expect.any(Number) });
        inProgress.push(id);
      } else {
        expect(answer.seq).toEqual(expect.any(Number));
        answers.set(id, answer);
      }
    }
    for (const [id, ack] of first)
      expect(answers.get(id)).toMatchObject({ duplicate: true, seq: ack.seq, id: ack.id });

    // Later, once the killed attempts count as dead: every id still in progress is taken over and stored.
    await sleepUntil(crashedAt + STALE_S * 1000 + 500);
    const later = await retry(b, room, inProgress);
    for (const [id, answer] of later) {
      expect(answer).toMatchObject({ type: 'ack', seq: expect.any(Number) });
      answers.set(id, answer);
    }
    expect(answers.size).toBe(sent.length);

    // Stored exactly once each, at the seq its answer gave; a duplicate answered only what is stored.
    const history = await historyOf(b, room);
    const stored = history.filter((f) => f.type === 'publication');
    expect(stored.map((f) => f.id).sort()).toEqual([...new Set(stored.map((f) => f.id))].sort());
    const bySentId = new Map(stored.map((f) => [(f.data as { id: string }).id, f]));
    expect([...bySentId.keys()].sort()).toEqual([...sent].sort());
    for (const [id, answer] of answers) {
      expect({ id, seq: bySentId.get(id)?.seq }).toEqual({ id, seq: answer.seq });
    }

    // Recovery over the interrupted range ends: every seq is a message or a void marker, once the seqs the
    // killed publishes had taken count as dead (bounded: two stale periods after the kill at most).
    const recoveryFrom = Date.now();
    const deadline = crashedAt + 2 * STALE_S * 1000 + 15_000;
    let replay: Frame[] = [];
    for (;;) {
      const reader = await TestClient.connect(b.wsUrl);
      reader.send({ type: 'subscribe', channel: room, since: 0 });
      const subscribed = await reader.nextOfType('subscribed');
      const seq = subscribed.seq as number;
      replay = [];
      while (replay.length < seq && subscribed.recovered)
        replay.push(await reader.next((f) => f.channel === room));
      reader.ws.terminate();
      if (subscribed.recovered) break;
      if (Date.now() > deadline) throw new Error(`recovery did not end: ${JSON.stringify(subscribed)}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const recoveryMs = Date.now() - recoveryFrom;
    expect(replay.map((f) => f.seq)).toEqual(replay.map((_, i) => i + 1));
    const voids = replay.filter((f) => f.type === 'void');
    expect(
      replay
        .filter((f) => f.type === 'publication')
        .map((f) => f.id)
        .sort(),
    ).toEqual(stored.map((f) => f.id).sort());

    // Delivered exactly once to the subscriber of the restarted stack: by its replay, or live.
    const got = (await after.sync())
      .filter((f) => f.type === 'publication')
      .map((f) => (f.data as { id: string }).id);
    expect(got.length).toBe(new Set(got).size);
    expect([...got].sort()).toEqual([...sent].sort());
    // And the one before the kill got nothing twice.
    const gotBefore = before.frames.filter((f) => f.type === 'publication').map((f) => f.id);
    expect(gotBefore.length).toBe(new Set(gotBefore).size);
    after.ws.terminate();

    console.info(
      `crash-publish: ${sent.length} sent, ${first.size} acked before the kill, ${unanswered.length} unanswered; ` +
        `restart ${restartMs} ms; at once ${sent.length - inProgress.length} answered, ${inProgress.length} in progress; ` +
        `${stored.length} stored, ${voids.length} void seqs; first start ${startMs} ms, recovery ended after ` +
        `${recoveryMs} ms more; ${Date.now() - began} ms in all (${Date.now() - began - startMs - restartMs} ms ` +
        'without the two starts)',
    );
  });
});
