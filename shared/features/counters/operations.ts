import { channelIn } from '../../core/channels';
import type { Operation } from '../../core/operations';
import { validate } from '../../core/protocol';
import { type CountersDeps, changeCounter, counterChangeBody } from './counter';
import { counter } from './manifest';
import type { CounterState } from './store';

const counterBody = (name: string, state: CounterState) => ({
  counter: name,
  value: state.total,
  version: state.version,
});

/** lambdas/http-counters.ts: read and change counters. */
export function countersOperations(deps: CountersDeps) {
  /** GET /v1/counters/{name}: the total and its version (0 and 0 for a counter never changed). */
  const read: Operation = async ({ params }) => {
    const name = channelIn(counter, params.name ?? '').name ?? '';
    return { status: 200, body: counterBody(name, await deps.counters.read(name)) };
  };

  /** POST /v1/counters/{name} {action, value}: changes it as a client's frame would, `counter_update` included. */
  const change: Operation = async ({ params, body }) => {
    const channel = channelIn(counter, params.name ?? '');
    const input = validate(counterChangeBody, body ?? {});
    const state = await changeCounter(deps, channel, input);
    return { status: 200, body: counterBody(channel.name ?? '', state) };
  };

  return { read, change };
}
