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
 * side buffer is full". The stack runs in a process of its own so that its memory is measured alone:
 * its peak RSS during a 50 MB flood with every subscriber reading, then during one with a subscriber
 * paused; the difference is what the paused one costs.
 */
const FLOOD_MESSAGES = 500;
const DATA_BYTES = 100 * 1024; // 500 × 100 KB = 50 MB into the room
const MAX_BUFFERED_BYTES = 1024 * 1024; // the documented default
/**
 * What the stack's memory may grow by because one subscriber stopped reading: its buffer, plus room for
 * the allocator's and the garbage collector's noise and the retried posts in flight. Measured on main
 * 1436640 at load 2–3: +17 MiB (+3 to +9 MiB before the seed dialects and the after-connect Lambda: more
 * code, more garbage while 439 refused 100 KB posts are retried over the ~28 s the paused flood takes).
 * Unbounded buffering adds most of the 50 MB (the kernel's socket buffers absorb the rest; measured with
 * `--max-buffered-bytes 1000000000` on the same code: +37.5 MiB within 8 s). The margin between the two is
 * thin: this bound guards against unbounded buffering, the refusals below show the bound itself.
 */
const GROWTH_BOUND_BYTES = MAX_BUFFERED_BYTES + 23 * 1024 * 1024;

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
    timeout: 400_000,
  }, async () => {
    const channel = `device:slow-${randomUUID().slice(0, 8)}`;
    const url = `${stack.wsUrl}?channels=${encodeURIComponent(channel)}`;
    const readers = [await subscriber(url), await subscriber(url)];
    const slow = await subscriber(url);
    const everyone = [...readers, slow];
    const bearer = await token(stack.httpUrl, { sub: 'flooder', scope: 'realtime:publish' });
    const pad = 'x'.repeat(DATA_BYTES);
    let sent = 0;
    const publish = async () => {
      const res = await fetch(`${stack.httpUrl}/v1/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
        body: JSON.stringify({ channel, type: 'flood', data: { n: sent++, pad } }),
      });
      expect(res.status).toBe(202);
      return (await res.json()) as { recipients: number; delivered: number };
    };
    const pid = stack.process.pid!;
    /** 50 MB into the room, 4 publishes at a time, while the stack's RSS is sampled; resolves with its peak. */
    const flood = async (answers: { recipients: number; delivered: number }[]) => {
      let peak = rssOf(pid);
      const sampler = setInterval(() => {
        peak = Math.max(peak, rssOf(pid));
      }, 50);
      let left = FLOOD_MESSAGES;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (left-- > 0) answers.push(await publish());
        }),
      );
      const total = sent;
      await waitFor(
        () => readers.every((r) => r.counted.flood === total),
        120_000,
        'the flood at the readers',
      );
      clearInterval(sampler);
      return Math.max(peak, rssOf(pid));
    };

    // First everyone reads: the stack's working memory for such a flood (clients, buffers, garbage).
    const t0 = Date.now();
    const reading = await flood([]);
    await waitFor(() => slow.counted.flood === sent, 60_000, 'the first flood at the third subscriber');
    // Then one stops reading: the kernel's socket buffers fill, then the stack's, up to its bound.
    slow.ws.pause();
    const t1 = Date.now();
    const answers: { recipients: number; delivered: number }[] = [];
    const paused = await flood(answers);
    console.log(
      `slow consumer: ${FLOOD_MESSAGES} × ${DATA_BYTES / 1024} KB, stack RSS peak ${(reading / 2 ** 20).toFixed(1)} MiB ` +
        `with every subscriber reading (${t1 - t0} ms), ${(paused / 2 ** 20).toFixed(1)} MiB with one paused ` +
        `(${Date.now() - t1} ms; growth bound ${(GROWTH_BOUND_BYTES / 2 ** 20).toFixed(0)} MiB); ` +
        `posts refused for it: ${answers.filter((a) => a.delivered < a.recipients).length}`,
    );

    expect(paused - reading).toBeLessThan(GROWTH_BOUND_BYTES);
    for (const r of readers) expect(r.counted.flood).toBe(2 * FLOOD_MESSAGES);
    expect(answers.every((a) => a.recipients === 3)).toBe(true);
    const refused = answers.filter((a) => a.delivered === 2).length;
    expect(refused).toBeGreaterThan(FLOOD_MESSAGES / 2);

    // As in AWS the connection stays open: once it reads again it gets what was buffered, then new posts.
    slow.ws.resume();
    await waitFor(() => slow.counted.flood === 2 * FLOOD_MESSAGES - refused, 30_000, 'what was buffered');
    expect(slow.ws.readyState).toBe(WebSocket.OPEN);
    expect((await publish()).delivered).toBe(3);
    await waitFor(() => slow.counted.flood === 2 * FLOOD_MESSAGES - refused + 1, 10_000, 'the next message');
    for (const r of everyone) r.ws.close();
  });
});
