import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  type Ack,
  type ChannelEvent,
  type ConnectedInfo,
  Switchboard,
  type SwitchboardError,
} from '../../client/index';
import type { LocalStack } from '../../local/index';
import { unique } from './support/client';
import { startTestStack, token } from './support/stack';

/**
 * The client against the local stack with a 3-second connection lifetime: a subscriber on a room (history:
 * the last 100 messages) takes a stream of 1,200 messages published over HTTP for 18 s while its
 * connections are replaced before each lifetime ends and three times dropped without a close frame (the
 * TCP connection destroyed), and publishes its own messages across those drops. It must see every message
 * exactly once, in seq order.
 */
const LIFETIME_MS = 3_000;
const MESSAGES = 1_200;
const INTERVAL_MS = 15; // 1,200 × 15 ms = 18 s of publishing
const HTTP_IN_FLIGHT = 16;
const OWN = 30;
const DROPS_AT_MS = [3_700, 8_300, 12_900];
/** The client plans for the server's real lifetime; reconnects start sooner than the default 0.5 s so that
 * what a drop misses at ~67 messages/s stays well inside the room's 100-message history. */
const CLIENT_OPTIONS = { maxLifetimeMs: LIFETIME_MS, minReconnectDelayMs: 200, maxReconnectDelayMs: 2_000 };

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack({
    maxLifetimeMs: LIFETIME_MS,
    env: { RATE_LIMIT_PER_MINUTE: '100000' },
  });
});
afterAll(() => stack?.stop());

/** `ws`, remembering every socket the client opens, with when it opened and closed. */
function trackedWebSocket() {
  const sockets: { ws: WebSocket; openedAt?: number; closedAt?: number }[] = [];
  class Tracked extends WebSocket {
    constructor(url: string) {
      super(url);
      const entry: (typeof sockets)[number] = { ws: this };
      sockets.push(entry);
      this.on('open', () => {
        entry.openedAt = Date.now();
      });
      this.on('close', () => {
        entry.closedAt = Date.now();
      });
    }
  }
  return { Tracked, sockets };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('the client across lifetime ends and abrupt drops', () => {
  it('delivers a long stream exactly once, in seq order, and its own publishes exactly once', async () => {
    const room = unique('room:');
    const service = await token(stack.httpUrl, { sub: unique('svc-'), scope: 'realtime:publish' });
    const { Tracked, sockets } = trackedWebSocket();
    const sb = new Switchboard(stack.wsUrl, { WebSocket: Tracked, ...CLIENT_OPTIONS });
    const connected: ConnectedInfo[] = [];
    const clientErrors: SwitchboardError[] = [];
    sb.on('connected', (c) => connected.push(c));
    sb.on('error', (e) => clientErrors.push(e));
    // A connection the server ended itself (1001: its lifetime; the idle timeout is 10 minutes) before
    // the client's replacement was ready.
    let serverEnded = 0;
    const timeline: string[] = [];
    sb.on('state', (s) => {
      if (s.state === 'connecting' && s.code === 1001) serverEnded++;
      if (s.state === 'connecting' && s.code !== undefined) timeline.push(`lost:${s.code}`);
    });
    sb.on('connected', (c) => timeline.push(c.cause));

    const sub = sb.subscribe(room);
    const received: ChannelEvent[] = [];
    const subErrors: SwitchboardError[] = [];
    sub.on('publication', (e) => received.push(e));
    sub.on('error', (e) => subErrors.push(e));
    const ready = new Promise((resolve) => sub.on('subscribed', resolve));
    sb.connect();
    await ready;

    // The service: 1,200 api_message over HTTP, one every 15 ms, at most 16 requests in flight.
    const started = Date.now();
    const failures: string[] = [];
    const inFlight = new Set<Promise<void>>();
    const publishAll = (async () => {
      for (let n = 0; n < MESSAGES; n++) {
        await sleep(started + n * INTERVAL_MS - Date.now());
        while (inFlight.size >= HTTP_IN_FLIGHT) await Promise.race(inFlight);
        const request = fetch(`${stack.httpUrl}/v1/publish`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${service}` },
          body: JSON.stringify({ channel: room, type: 'api_message', data: { n } }),
        })
          .then(async (res) => {
            if (res.status !== 202) failures.push(`${n}: ${res.status} ${await res.text()}`);
          })
          .catch((error: Error) => {
            failures.push(`${n}: ${error.message}`);
          })
          .finally(() => inFlight.delete(request));
        inFlight.add(request);
      }
      await Promise.all(inFlight);
    })();

    // The subscriber's own publishes, one every 600 ms, plus one right after each drop (it waits in the
    // queue while the client reconnects).
    const acks: Promise<Ack>[] = [];
    const own = (k: number) => acks.push(sb.publish(room, { own: k }, { id: `own-${room}-${k}` }));
    const ownAll = (async () => {
      for (let k = 0; k < OWN - DROPS_AT_MS.length; k++) {
        await sleep(started + 300 + k * 600 - Date.now());
        own(k);
      }
    })();

    // Three abrupt drops of an established connection (waiting for one if the client is between two):
    // every socket of the client destroyed, no close frame.
    let drops = 0;
    const dropAll = (async () => {
      for (const at of DROPS_AT_MS) {
        await sleep(started + at - Date.now());
        await until(() => sb.state === 'connected', 10_000, 'a connection to drop');
        for (const { ws } of sockets) if (ws.readyState === WebSocket.OPEN) ws.terminate();
        drops++;
        own(OWN - DROPS_AT_MS.length + drops - 1);
      }
    })();

    await Promise.all([publishAll, ownAll, dropAll]);
    const publishedMs = Date.now() - started;
    const ownAcks = await Promise.all(acks);
    const events = () => received.filter((e) => e.type === 'api_message').length;
    const mine = () => received.filter((e) => e.type === 'publication').length;
    await until(() => events() >= MESSAGES && mine() >= OWN, 20_000, 'every message');
    await sleep(500); // anything that would arrive twice has had time to
    const durationMs = Date.now() - started;
    sb.close();

    // The figures first, so that a failure shows them too. Lifetime ends: connections replaced before
    // their lifetime (make-before-break), and those the server ended first.
    const withSeq = received.filter((e) => e.seq !== undefined);
    const seqs = withSeq.map((e) => e.seq as number);
    const ids = received.map((e) => e.id);
    const duplicates = ids.length - new Set(ids).size;
    const replaced = connected.filter((c) => c.cause === 'lifetime').length;
    const lifetimeEnds = replaced + serverEnded;
    const reconnects = connected.filter((c) => c.cause === 'reconnect').length;
    console.log(
      `client recovery: ${MESSAGES} messages + ${OWN} own publishes (${received.length} events, seq ` +
        `${seqs[0]}..${seqs.at(-1)}) over ${(publishedMs / 1000).toFixed(1)} s; ${lifetimeEnds} lifetime ` +
        `ends (${replaced} replaced before, ${serverEnded} ended by the server first), ${drops} abrupt drops, ${reconnects} reconnects, ${sockets.length} sockets; duplicates ` +
        `seen by the app: ${duplicates}; duplicate acks: ${ownAcks.filter((a) => a.duplicate).length}; ` +
        `duration ${(durationMs / 1000).toFixed(1)} s; ${timeline.join(' ')}`,
    );
    // Every message exactly once, in seq order, with no gap.
    expect(duplicates).toBe(0);
    expect(seqs.every((seq, i) => i === 0 || seq === (seqs[i - 1] as number) + 1)).toBe(true);
    const ns = received.filter((e) => e.type === 'api_message').map((e) => (e as unknown as { n: number }).n);
    expect(ns.length).toBe(MESSAGES);
    expect(new Set(ns).size).toBe(MESSAGES);
    const owns = received
      .filter((e) => e.type === 'publication')
      .map((e) => (e as { data: Record<string, unknown> }).data.own as number);
    expect(owns.toSorted((a, b) => a - b)).toEqual(Array.from({ length: OWN }, (_, k) => k));
    expect(ownAcks.every((ack) => typeof ack.id === 'string')).toBe(true);
    expect(failures).toEqual([]);
    expect(subErrors).toEqual([]);
    expect(clientErrors).toEqual([]);

    // It was exercised: ≥ 5 lifetime ends, 3 drops each followed by a
    // reconnect, publishing over ≥ 15 s, and no connection outlived the server's 3 s (the server's limit was in force).
    expect(lifetimeEnds).toBeGreaterThanOrEqual(5);
    expect(drops).toBe(3);
    expect(timeline.filter((t) => t === 'lost:1006')).toHaveLength(3);
    expect(reconnects).toBeGreaterThanOrEqual(3);
    expect(publishedMs).toBeGreaterThanOrEqual(15_000);
    const lived = sockets.map((s) => (s.closedAt ?? Date.now()) - (s.openedAt ?? Date.now()));
    // (+ the 2 s the server gives a close handshake, and a loaded machine's delays)
    expect(Math.max(...lived)).toBeLessThanOrEqual(LIFETIME_MS + 2_500);
  }, 150_000);
});
