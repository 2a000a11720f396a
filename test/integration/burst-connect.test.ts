import { loadavg } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { openInBatches } from '../../bench/sockets';
import type { LocalStack } from '../../local/index';
import { connectUrl } from './support/client';
import { api } from './support/http';
import { recorder, startTestStack } from './support/stack';

/**
 * Issue 10: 1,000 sockets opened in batches of 100 at once into one room (where 91 of 100 at once were
 * refused before). `$connect` does a constant amount of work (the join notices run after it, in the
 * after-connect Lambda), so none is refused, and afterwards the stats and the room's presence count
 * exactly what is open. A table of its own (so its own totals) in the suite's DynamoDB Local. How fast they
 * connect is a figure of `npm run bench -- burst` (docs/performance.md), not an assertion here: a timed
 * test only measures the machine CI runs on.
 */
const SOCKETS = 1_000;
const BATCH = 100;
/** Every tenth socket has a token: 10 users with 10 connections each; the others are anonymous. */
const USERS = 10;

let stack: LocalStack;
const calls = recorder();
const open: WebSocket[] = [];

beforeAll(async () => {
  stack = await startTestStack({ tableName: `burst-${process.pid}-${Date.now()}`, observe: calls.observe });
});
afterAll(async () => {
  for (const ws of open) ws.terminate();
  await stack?.stop();
});

/**
 * Resolves once every after-connect invocation started has finished, and none has started for 500 ms (a
 * `$connect` hands its job over before it answers, so none comes after the sockets are open and settled).
 */
async function afterConnectsSettled(): Promise<void> {
  const count = (list: readonly { lambda: string }[]) =>
    list.filter((c) => c.lambda === 'after-connect').length;
  let quietSince = Date.now();
  let seen = count(calls.started);
  while (Date.now() - quietSince < 500 || count(calls.done) < count(calls.started)) {
    await new Promise((r) => setTimeout(r, 50));
    const now = count(calls.started);
    if (now !== seen) {
      seen = now;
      quietSince = Date.now();
    }
  }
}

/** GET /v1/stats; the HTTP Lambdas' failed invocations are the assertion's message. */
async function stats() {
  const res = await api(stack.httpUrl, 'GET', '/v1/stats');
  const failed = calls.done
    .filter((c) => c.error !== undefined && c.lambda.startsWith('http-'))
    .map((c) => `${c.lambda}: ${String(c.error)}`);
  expect(res.status, failed.join('; ')).toBe(200);
  return res.body;
}

describe('a burst of connects into one room', () => {
  it('opens 1,000 sockets in batches of 100 into one room: none refused, stats and presence exact', {
    timeout: 300_000,
  }, async () => {
    const tokens = await Promise.all(
      Array.from({ length: USERS }, (_, i) => stack.issuer.mint({ sub: `burst-${i}` })),
    );
    // A fresh DynamoDB Local is many times slower on its first requests: warm it (not measured). On a
    // loaded machine a warm-up connect may run out of time and be refused; it must then leave nothing.
    const warm = await openInBatches(
      () => connectUrl(stack.wsUrl, { channels: ['room:warm-up'] }),
      BATCH,
      BATCH / 4,
    );
    await Promise.all(warm.sockets.map((ws) => new Promise((r) => ws.once('close', r).close())));
    while (calls.of('ws-disconnect').length < warm.sockets.length)
      await new Promise((r) => setTimeout(r, 50));
    await afterConnectsSettled();
    expect(await stats()).toMatchObject({
      connections: 0,
      users: 0,
      channels: 0,
    });

    const room = 'room:burst';
    const t0 = Date.now();
    const { sockets, refused } = await openInBatches(
      (i) =>
        connectUrl(stack.wsUrl, {
          channels: [room],
          ...(i % 10 === 0 ? { token: tokens[(i / 10) % USERS] } : {}),
        }),
      SOCKETS,
      BATCH,
    );
    const seconds = (Date.now() - t0) / 1000;
    open.push(...sockets);
    console.log(
      `burst: ${sockets.length} sockets into one room in ${seconds.toFixed(2)} s ` +
        `(batches of ${BATCH}), ${refused.length} refused; load average ${loadavg()[0]!.toFixed(1)}`,
    );
    expect(refused).toEqual([]);
    expect(sockets).toHaveLength(SOCKETS);

    // The join notices ran after the handshakes (a join that found itself alone in the room left none):
    // every one started has finished, none failed.
    await afterConnectsSettled();
    expect(calls.of('after-connect').length).toBeGreaterThan(0);
    expect(calls.of('after-connect').filter((c) => c.error !== undefined)).toEqual([]);

    expect(await stats()).toMatchObject({
      connections: SOCKETS,
      users: USERS,
      channels: 1 + USERS, // the room, and each user's own channel
    });
    const presence = await api(stack.httpUrl, 'GET', `/v1/channels/${encodeURIComponent(room)}/presence`);
    expect(presence.body).toMatchObject({
      count: SOCKETS,
      anonymous: SOCKETS - SOCKETS / 10,
      users: Array.from({ length: USERS }, (_, i) => ({ id: `burst-${i}`, username: `burst-${i}` })).sort(
        (a, b) => (a.id < b.id ? -1 : 1),
      ),
    });
  });
});
