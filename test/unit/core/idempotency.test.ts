import { describe, expect, it } from 'vitest';
import { canonicalJson, fingerprintOf, idempotent } from '../../../shared/core/idempotency';
import { FakeClock, FakeIdempotencyStore, MemoryLog } from '../../support/fakes';

const STALE_MS = 60_000;
const deps = () => ({
  idempotency: new FakeIdempotencyStore(),
  clock: new FakeClock(),
  log: new MemoryLog(),
  config: { publish: { staleAfterMs: STALE_MS } },
});

describe('the request fingerprint', () => {
  it('is the same whatever the key order, at every depth, and leaves undefined members out', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[1,{"y":2,"z":1}]},"b":1}',
    );
    expect(fingerprintOf({ a: 1, b: [1, 2] })).toBe(fingerprintOf({ b: [1, 2], a: 1 }));
    expect(fingerprintOf({ a: 1 })).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs for another request', () => {
    expect(fingerprintOf({ a: 1 })).not.toBe(fingerprintOf({ a: 2 }));
    expect(fingerprintOf([1, 2])).not.toBe(fingerprintOf([2, 1]));
  });
});

describe('idempotent', () => {
  it('runs the first request, replays its answer to a repeat, and refuses the key with another request', async () => {
    const d = deps();
    let runs = 0;
    const run = async () => ({ n: ++runs });
    expect(await idempotent(d, { key: 'k', request: { a: 1 }, id: 'i1' }, run)).toEqual({
      outcome: 'first',
      result: { n: 1 },
    });
    expect(await idempotent(d, { key: 'k', request: { a: 1 }, id: 'i2' }, run)).toEqual({
      outcome: 'replay',
      result: { n: 1 },
      id: 'i1',
    });
    await expect(idempotent(d, { key: 'k', request: { a: 2 }, id: 'i3' }, run)).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
      status: 422,
    });
    expect(runs).toBe(1);
  });

  it('says pending while the first request runs (retry within a second), and lets a stale claim be taken over', async () => {
    const d = deps();
    let release!: () => void;
    const first = idempotent(
      d,
      { key: 'k', request: {}, id: 'i1' },
      () => new Promise<string>((r) => (release = () => r('done'))),
    );
    await Promise.resolve();
    expect(await idempotent(d, { key: 'k', request: {}, id: 'i2' }, async () => 'x')).toEqual({
      outcome: 'pending',
      id: 'i1',
      retryAfterMs: 1000,
    });
    d.clock.advance(STALE_MS - 300);
    expect(await idempotent(d, { key: 'k', request: {}, id: 'i2' }, async () => 'x')).toMatchObject({
      retryAfterMs: 300,
    });
    d.clock.advance(301);
    let attemptId: string | undefined;
    expect(
      await idempotent(d, { key: 'k', request: {}, id: 'i3' }, async (attempt) => {
        attemptId = attempt.id;
        return 'taken over';
      }),
    ).toEqual({ outcome: 'first', result: 'taken over' });
    // The message keeps the id the first attempt gave it.
    expect(attemptId).toBe('i1');
    // The first attempt, alive after all, cannot overwrite the answer: it is no longer the owner.
    release();
    expect(await first).toEqual({ outcome: 'first', result: 'done' });
    expect(d.idempotency.records.get('k')?.result).toBe('taken over');
  });

  it('never takes over a stale claim for another request: IDEMPOTENCY_KEY_REUSED', async () => {
    const d = deps();
    void idempotent(d, { key: 'k', request: { a: 1 }, id: 'i1' }, () => new Promise(() => {}));
    await Promise.resolve();
    d.clock.advance(STALE_MS + 1);
    await expect(
      idempotent(d, { key: 'k', request: { a: 2 }, id: 'i2' }, async () => 'x'),
    ).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
  });

  it('keeps the claim of a run that reserved a seq and failed, free at once for the next attempt to finish', async () => {
    const d = deps();
    await expect(
      idempotent(d, { key: 'k', request: {}, id: 'i1' }, async (attempt) => {
        await attempt.reserve('room:a', 7);
        throw new Error('the table failed after the reservation');
      }),
    ).rejects.toThrow('the table failed');
    let reserved: unknown;
    await idempotent(d, { key: 'k', request: {}, id: 'i2' }, async (attempt) => {
      reserved = { id: attempt.id, seqs: attempt.reserved };
      return 'finished';
    });
    expect(reserved).toEqual({ id: 'i1', seqs: { 'room:a': 7 } });
  });

  it('refuses a reservation of an attempt whose claim was taken over: IDEMPOTENCY_KEY_IN_USE', async () => {
    const d = deps();
    let slow!: Parameters<Parameters<typeof idempotent>[2]>[0];
    void idempotent(d, { key: 'k', request: {}, id: 'i1' }, (attempt) => {
      slow = attempt;
      return new Promise(() => {});
    });
    await Promise.resolve();
    await Promise.resolve();
    d.clock.advance(STALE_MS + 1);
    await idempotent(d, { key: 'k', request: {}, id: 'i2' }, async () => 'taken over');
    await expect(slow.reserve('room:a', 9)).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_IN_USE' });
  });

  it('releases the key when the run throws or its answer is not to be kept', async () => {
    const d = deps();
    await expect(
      idempotent(d, { key: 'k', request: {}, id: 'i1' }, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(d.idempotency.records.size).toBe(0);
    await idempotent(
      d,
      { key: 'k', request: {}, id: 'i2' },
      async () => ({ status: 500 }),
      (r) => r.status < 300,
    );
    expect(d.idempotency.records.size).toBe(0);
  });

  it('logs a release that fails and still throws the run’s own error', async () => {
    const d = deps();
    d.idempotency.release = async () => {
      throw new Error('table unavailable');
    };
    await expect(
      idempotent(d, { key: 'k', request: {}, id: 'i1' }, async () => {
        throw new Error('the run failed');
      }),
    ).rejects.toThrow('the run failed');
    expect(d.log.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'could not release an idempotency claim' }),
    );
  });
});
