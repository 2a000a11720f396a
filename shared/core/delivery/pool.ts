/**
 * Runs async tasks with at most `limit` in flight. `run` resolves as soon as the task has *started*, so a
 * producer that awaits it is held back while the pool is full (backpressure) and can fetch its next page
 * of work while the last tasks finish. `drain` waits for all of them. A task is meant to handle its own
 * errors; one that throws anyway is not lost: `drain` rejects with it once every task has settled.
 */
export class Pool {
  #active = 0;
  #waiting: (() => void)[] = [];
  #pending = new Set<Promise<void>>();
  #errors: unknown[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`pool limit must be >= 1, got ${limit}`);
  }

  async run(task: () => Promise<void>): Promise<void> {
    if (this.#active >= this.limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#active++;
    const p = task()
      .catch((error: unknown) => {
        this.#errors.push(error);
      })
      .finally(() => {
        this.#active--;
        this.#pending.delete(p);
        this.#waiting.shift()?.();
      });
    this.#pending.add(p);
  }

  async drain(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
    const errors = this.#errors.splice(0);
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} pool tasks failed`);
  }
}

/** Maps over items with bounded concurrency, keeping the results' order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
