import { parseChannel } from '../../channels';
import type { OperationInput, OperationResult } from '../../http';
import { validate } from '../../protocol';
import { changeCounter, counterChangeBody } from './counter';
import type { CounterState } from './store';

const counterBody = (name: string, state: CounterState) => ({
  counter: name,
  value: state.total,
  version: state.version,
});

/** GET /v1/counters/{name}: the total and its version (0 and 0 for a counter never changed). */
export async function readCounterOperation({ deps, params }: OperationInput): Promise<OperationResult> {
  const channel = parseChannel(`counter:${params.name ?? ''}`);
  const name = channel.name ?? '';
  return { status: 200, body: counterBody(name, await deps.counters.read(name)) };
}

/** POST /v1/counters/{name} {action, value}: changes it as a client's frame would, `counter_update` included. */
export async function changeCounterOperation({
  deps,
  params,
  body,
}: OperationInput): Promise<OperationResult> {
  const channel = parseChannel(`counter:${params.name ?? ''}`);
  const input = validate(counterChangeBody, body ?? {});
  const state = await changeCounter(deps, channel, input);
  return { status: 200, body: counterBody(channel.name ?? '', state) };
}
