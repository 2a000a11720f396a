import { describe, expect, it } from 'vitest';
import { createInvoker, type Handler } from '../../../local/handlers';
import { createLog } from '../../../local/log';
import type { LambdaName } from '../../../shared/app/routes';

/**
 * The local invoker's slots (local/handlers.ts): at most `concurrency` invocations run, the others wait,
 * and a slot that frees goes to an invocation a client waits for before a background one.
 */
describe('the local invoker', () => {
  /** A handler that records each event as it starts and ends when the test releases it. */
  function held() {
    const started: string[] = [];
    const release = new Map<string, () => void>();
    const handler: Handler = (event) =>
      new Promise((resolve) => {
        const name = String(event);
        started.push(name);
        release.set(name, () => resolve(name));
      });
    return { started, release, handler };
  }
  const tick = () => new Promise((r) => setImmediate(r));
  const log = createLog('silent');

  it('gives a freed slot to a waiting request before background invocations that came first', async () => {
    const { started, release, handler } = held();
    const handlers = new Map<LambdaName, Handler>([
      ['ws-connect', handler],
      ['after-connect', handler],
    ]);
    const invoker = createInvoker(handlers, { concurrency: 1, log });
    const runs = [
      invoker.invoke('after-connect', 'job 1', 'background'),
      invoker.invoke('after-connect', 'job 2', 'background'),
      invoker.invoke('after-connect', 'job 3', 'background'),
      invoker.invoke('ws-connect', 'connect 1'),
      invoker.invoke('ws-connect', 'connect 2', 'request'),
    ];
    await tick();
    expect(started).toEqual(['job 1']);
    for (const name of ['job 1', 'connect 1', 'connect 2', 'job 2']) {
      release.get(name)!();
      await tick();
      await tick();
    }
    expect(started).toEqual(['job 1', 'connect 1', 'connect 2', 'job 2', 'job 3']);
    release.get('job 3')!();
    expect(await Promise.all(runs)).toEqual(['job 1', 'job 2', 'job 3', 'connect 1', 'connect 2']);
    await invoker.drain();
  });

  it('runs background invocations at once while a slot is free', async () => {
    const { started, release, handler } = held();
    const invoker = createInvoker(new Map<LambdaName, Handler>([['after-connect', handler]]), {
      concurrency: 2,
      log,
    });
    const runs = [
      invoker.invoke('after-connect', 'a', 'background'),
      invoker.invoke('after-connect', 'b', 'background'),
      invoker.invoke('after-connect', 'c', 'background'),
    ];
    await tick();
    expect(started).toEqual(['a', 'b']);
    release.get('b')!();
    await tick();
    await tick();
    expect(started).toEqual(['a', 'b', 'c']);
    release.get('a')!();
    release.get('c')!();
    expect(await Promise.all(runs)).toEqual(['a', 'b', 'c']);
    await invoker.drain();
  });
});
