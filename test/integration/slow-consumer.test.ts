import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type SpawnedStack, spawnStack } from './support/spawned-stack';
import { token } from './support/stack';

/**
 * A subscriber that stops reading must not make the stack buffer everything for it (issue 14): the
 * emulator holds at most `maxBufferedBytes` (1 MiB by default) unsent for one connection, and past that
 * the Management API answers 429 LimitExceededException, as API Gateway does when "the WebSocket client
 * side buffer is full". The stack runs in a process of its own so that its memory is measured alone.
 */
const FLOOD_MESSAGES = 500;
const DATA_BYTES = 100 * 1024; // 500 × 100 KB = 50 MB into the room
/** What the stack's memory may grow by while the flood runs: the one paused connection's 1 MiB, plus
 * the working memory of 500 fan-outs of 100 KB in flight a few at a time. Unbounded buffering adds the
 * whole 50 MB less what the kernel's socket buffers absorb (measured: ~45 MB). */
const RSS_BOUND_BYTES = 24 * 1024 * 1024;

let stack: SpawnedStack;
beforeAll(async () => {
  stack = await spawnStack(['--memory']);
}, 90_000);
afterAll(() => stack?.stop());

/** A raw subscriber that counts the `flood` frames it reads, without keeping them. */
function subscriber(url: string) {
  const ws = new WebSocket(url);
  const counted = { flood: 0, other: 0 };
  ws.on('message', (data) => {
    if (data.toString().includes('"type":"flood"')) counted.flood++;
    else counted.other++;
  });
  return new Promise<{ ws: WebSocket; counted: typeof counted }>((resolve, reject) => {
    ws.once('open', () => resolve({ ws, counted }));
    ws.once('error', reject);
  });
}

const rssOf = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1]) * 1024;
};

async function waitFor(check: () => boolean, ms: number, what: string) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a subscriber that stops reading', () => {
  it('costs the stack a bounded buffer while its room receives 50 MB, and the others get everything', {
    timeout: 300_000,
  }, async () => {
    const channel = `device:slow-${randomUUID().slice(0, 8)}`;
    const url = `${stack.wsUrl}?channels=${encodeURIComponent(channel)}`;
    const readers = [await subscriber(url), await subscriber(url)];
    const slow = await subscriber(url);
    const bearer = await token(stack.httpUrl, { sub: 'flooder', scope: 'realtime:publish' });
    const pad = 'x'.repeat(DATA_BYTES);
    const publish = async (n: number) => {
      const res = await fetch(`${stack.httpUrl}/v1/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
        body: JSON.stringify({ channel, type: 'flood', data: { n, pad } }),
      });
      expect(res.status).toBe(202);
      return (await res.json()) as { recipients: number; delivered: number };
    };

    // Warm up (handlers loaded, clients and buffers built), then take the baseline.
    for (let n = 0; n < 20; n++) await publish(n);
    await waitFor(() => [...readers, slow].every((r) => r.counted.flood === 20), 60_000, 'the warm-up');
    const pid = stack.process.pid!;
    const baseline = rssOf(pid);

    slow.ws.pause(); // stops reading: the kernel's buffers fill, then the stack's
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssOf(pid));
    }, 50);
    const answers: { recipients: number; delivered: number }[] = [];
    let next = 0;
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < FLOOD_MESSAGES) answers.push(await publish(20 + next++));
      }),
    );
    await waitFor(
      () => readers.every((r) => r.counted.flood === 20 + FLOOD_MESSAGES),
      120_000,
      'every flood message at both reading subscribers',
    );
    clearInterval(sampler);
    peak = Math.max(peak, rssOf(pid));
    console.log(
      `slow consumer: ${FLOOD_MESSAGES} × ${DATA_BYTES / 1024} KB in ${Date.now() - t0} ms; stack RSS ` +
        `${(baseline / 2 ** 20).toFixed(1)} MiB before, peak +${((peak - baseline) / 2 ** 20).toFixed(1)} MiB ` +
        `(bound ${RSS_BOUND_BYTES / 2 ** 20} MiB); posts refused for it: ` +
        `${answers.filter((a) => a.delivered < a.recipients).length}`,
    );

    expect(peak - baseline).toBeLessThan(RSS_BOUND_BYTES);
    for (const r of readers) expect(r.counted.flood).toBe(20 + FLOOD_MESSAGES);
    expect(answers.every((a) => a.recipients === 3)).toBe(true);
    const refused = answers.filter((a) => a.delivered === 2).length;
    expect(refused).toBeGreaterThan(FLOOD_MESSAGES / 2);

    // As in AWS the connection stays open: once it reads again it gets what was buffered, then new posts.
    slow.ws.resume();
    await new Promise((r) => setTimeout(r, 2_000));
    const got = slow.counted.flood;
    expect(got).toBeLessThan(20 + FLOOD_MESSAGES - refused + 1);
    expect(slow.ws.readyState).toBe(WebSocket.OPEN);
    expect((await publish(9_999)).delivered).toBe(3);
    await waitFor(() => slow.counted.flood === got + 1, 10_000, 'the next message at the resumed subscriber');
    for (const r of [...readers, slow]) r.ws.close();
  });
});
