/** The counter's port: its total is state in the table, changed only by one atomic update at a time. */

export type CounterChange = { action: 'increment' | 'decrement'; value: number } | { action: 'reset' };

export interface CounterState {
  total: number;
  /** Raised by one with every change, in the same atomic update: orders the updates of one counter. */
  version: number;
}

export interface CounterStore {
  /** Applies one change and raises the version, atomically (no lost update); resolves the new state. */
  apply(name: string, change: CounterChange, now: number): Promise<CounterState>;
  /** The current state; `{total: 0, version: 0}` for a counter never changed. */
  read(name: string): Promise<CounterState>;
}
