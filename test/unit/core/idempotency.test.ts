import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  fingerprintOf,
  IDEMPOTENCY_STALE_MS,
  idempotent,
} from '../../../shared/core/idempotency';
import { FakeClock, FakeIdempotencyStore, MemoryLog } from '../../support/fakes';

const deps = () => ({
  idempotency: new FakeIdempotencyStore(),
  clock: new FakeClock(),
  log: new MemoryLog(),
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

  it('says pending while the first request runs, and lets a stale claim be taken over', async () => {
    const d = deps();
    let release!: () => void;
    const first = idempotent(
      d,
      { key: 'k', request: {}, id: 'i1' },
      () => new Promise<string>((r) => (release = () => r('done'))),
    );
    await Promise.resolve();
    expect(await idempotent(d, { key: 'k', request: {}, id: 'i2' }, async () => 'x')).toMatchObject({
      outcome: 'pending',
      id: 'i1',
    });
    d.clock.advance(IDEMPOTENCY_STALE_MS + 1);
    expect(await idempotent(d, { key: 'k', request: {}, id: 'i3' }, async () => 'taken over')).toEqual({
      outcome: 'first',
      result: 'taken over',
    });
    release();
    await first;
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
