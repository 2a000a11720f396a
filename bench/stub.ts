import { type ChildProcess, fork } from 'node:child_process';
import type { StubOptions, StubStats } from './stub-server';

export type { StubOptions, StubStats } from './stub-server';

/** A stub Management API (bench/stub-server.ts) in a process of its own, so its CPU is not the caller's. */
export interface Stub {
  port: number;
  /** What it answered so far. */
  stats(): Promise<StubStats>;
  stop(): void;
}

export async function startStub(options: StubOptions = {}): Promise<Stub> {
  const child: ChildProcess = fork(
    new URL('./stub-server.ts', import.meta.url).pathname,
    [JSON.stringify(options)],
    {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve(Number((m as { port: number }).port)));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the stub exited (${code}) before listening`)));
  });
  return {
    port,
    stats: () =>
      new Promise((resolve) => {
        const onMessage = (m: unknown) => {
          const stats = (m as { stats?: StubStats }).stats;
          if (!stats) return;
          child.off('message', onMessage);
          resolve(stats);
        };
        child.on('message', onMessage);
        child.send({ type: 'stats' });
      }),
    stop: () => {
      child.kill();
    },
  };
}
