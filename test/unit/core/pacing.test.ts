import { describe, expect, it } from 'vitest';
import { Pacer, PacerPool, pacedPost } from '../../../shared/core/delivery/pacing';
import { FakeClock, FakeGateway, MemoryLog } from '../../support/fakes';

/** Requests a second a pacer lets through over `n` sequential takes (fake time). */
async function measuredRate(clock: FakeClock, pacer: Pacer, n: number): Promise<number> {
  const t0 = clock.now();
  for (let i = 0; i < n; i++) await pacer.take();
  return (n / (clock.now() - t0)) * 1000;
}

describe('A fan-out worker’s pacer (token bucket, AIMD)', () => {
  it('lets its share through, and no more, after a burst of 50 ms’ worth', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer(clock, 1000);
    const t0 = clock.now();
    for (let i = 0; i < 50; i++) await pacer.take();
    expect(clock.now()).toBe(t0); // the burst
    const rate = await measuredRate(clock, pacer, 2000);
    expect(rate).toBeGreaterThan(990);
    expect(rate).toBeLessThanOrEqual(1001);
  });

  it('slows to 70 % on a 429, once for the 429s of one moment, again for a later one, never below its floor', () => {
    const clock = new FakeClock();
    const pacer = new Pacer(clock, 1000);
    pacer.throttled();
    clock.advance(100);
    pacer.throttled(); // the same congestion: the posts in flight saw it too
    expect(pacer.rate).toBeCloseTo(700);
    clock.advance(200);
    pacer.throttled();
    expect(pacer.rate).toBeCloseTo(490);
    expect(pacer.throttles).toBe(3);
    expect(pacer.slowest).toBeCloseTo(490);
    for (let i = 0; i < 100; i++) {
      clock.advance(250);
      pacer.throttled();
    }
    expect(pacer.rate).toBe(pacer.floor);
    expect(pacer.floor).toBe(10);
  });

  it('grows back to its share linearly in time as posts go through, and no further', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer(clock, 1000);
    pacer.throttled();
    clock.advance(600);
    pacer.succeeded();
    expect(pacer.rate).toBeCloseTo(700 + 1000 * 0.25 * 0.6);
    clock.advance(5_000);
    pacer.succeeded();
    expect(pacer.rate).toBe(1000);
    // After a pause it may burst again (50 ms' worth), then keeps to its share.
    const t0 = clock.now();
    for (let i = 0; i < 1000; i++) await pacer.take();
    expect(clock.now() - t0).toBeGreaterThanOrEqual(1000 - 51);
  });

  it('is one per invocation at once: concurrent invocations of one handler get their own', async () => {
    const pool = new PacerPool(new FakeClock(), 500);
    const seen: Pacer[] = [];
    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const first = pool.using(async (p) => {
      seen.push(p);
      await held;
    });
    await pool.using(async (p) => {
      seen.push(p);
    });
    release();
    await first;
    await pool.using(async (p) => {
      seen.push(p);
    });
    expect(seen[0]).not.toBe(seen[1]);
    expect([seen[0], seen[1]]).toContain(seen[2]); // reused, with what it learned
  });
});

describe('A paced post', () => {
  const deps = () => ({ gateway: new FakeGateway(), clock: new FakeClock(), log: new MemoryLog() });
  const payload = new TextEncoder().encode('{}');

  it('tries a 429 again, slowing the pacer, and delivers', async () => {
    const d = deps();
    const pacer = new Pacer(d.clock, 1000);
    let n = 0;
    d.gateway.failWith = () => (++n <= 3 ? 429 : undefined);
    expect(await pacedPost(d, pacer, Number.POSITIVE_INFINITY, 'c1', payload)).toBe('delivered');
    expect(pacer.throttles).toBe(3);
    expect(pacer.rate).toBeLessThan(1000);
  });

  it('passes the connection on after 8 throttles (a full client buffer answers 429 too) or 3 faults', async () => {
    const d = deps();
    const pacer = new Pacer(d.clock, 1000);
    d.gateway.failWith = () => 429;
    expect(await pacedPost(d, pacer, Number.POSITIVE_INFINITY, 'c1', payload)).toBe('later');
    expect(d.gateway.refused).toBe(8);
    d.gateway.failWith = () => 502;
    expect(await pacedPost(d, pacer, Number.POSITIVE_INFINITY, 'c2', payload)).toBe('later');
    expect(d.gateway.refused).toBe(8 + 3);
  });

  it('fails for good what would fail again (403, 413), and logs the connection', async () => {
    const d = deps();
    d.gateway.failWith = () => 403;
    expect(await pacedPost(d, new Pacer(d.clock, 1000), Number.POSITIVE_INFINITY, 'c9', payload)).toBe(
      'failed',
    );
    expect(d.gateway.refused).toBe(1);
    expect(d.log.lines).toEqual([
      expect.objectContaining({ level: 'warn', extra: expect.objectContaining({ connectionId: 'c9' }) }),
    ]);
  });

  it('posts nothing once the invocation’s time is up', async () => {
    const d = deps();
    expect(await pacedPost(d, new Pacer(d.clock, 1000), d.clock.now(), 'c1', payload)).toBe('later');
    expect(d.gateway.posts).toEqual([]);
  });
});
