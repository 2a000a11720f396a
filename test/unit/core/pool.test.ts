import { describe, expect, it } from 'vitest';
import { mapBounded, Pool } from '../../../shared/core/delivery/pool';

describe('Pool', () => {
  it('keeps at most `limit` tasks in flight and runs every one', async () => {
    const pool = new Pool(3);
    let inFlight = 0;
    let max = 0;
    let done = 0;
    for (let i = 0; i < 10; i++) {
      await pool.run(async () => {
        inFlight++;
        max = Math.max(max, inFlight);
        await new Promise((r) => setTimeout(r, 1));
        inFlight--;
        done++;
      });
    }
    await pool.drain();
    expect(done).toBe(10);
    expect(max).toBe(3);
  });

  it('does not lose a task that throws: drain rejects with it after the others have finished', async () => {
    const pool = new Pool(2);
    let finished = 0;
    await pool.run(async () => {
      throw new Error('task fault');
    });
    for (let i = 0; i < 3; i++) {
      await pool.run(async () => {
        await new Promise((r) => setTimeout(r, 1));
        finished++;
      });
    }
    await expect(pool.drain()).rejects.toThrow('task fault');
    expect(finished).toBe(3);
    await expect(pool.drain()).resolves.toBeUndefined(); // reported once
  });

  it('mapBounded keeps the order of the results', async () => {
    expect(await mapBounded([3, 1, 2], 2, async (n) => n * 10)).toEqual([30, 10, 20]);
  });
});
