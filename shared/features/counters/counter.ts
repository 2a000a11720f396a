import { z } from 'zod';
import type { Channel } from '../../channels';
import type { Deps, FrameContext } from '../../domain/context';
import { defineFrame } from '../../domain/frames';
import type { ChannelHooks } from '../../domain/hooks';
import { publishEvent } from '../../domain/publish';
import { channelField, isoTime, type ServerFrame } from '../../protocol';
import { subscribedChannel } from '../delivery';
import type { CounterChange, CounterState } from './store';

/** The largest step of one change, either way. */
export const COUNTER_STEP_MAX = 1_000_000;

const step = z.number().int().min(-COUNTER_STEP_MAX).max(COUNTER_STEP_MAX);

/** `{action, value}`: increment and decrement need an integer value; reset ignores whatever value it has. */
const changeOptions = <T extends z.ZodRawShape>(extra: T) =>
  z.discriminatedUnion('action', [
    z.object({ action: z.literal('increment'), value: step, ...extra }),
    z.object({ action: z.literal('decrement'), value: step, ...extra }),
    z.object({ action: z.literal('reset'), value: z.unknown().optional(), ...extra }),
  ]);

export const counterChangeBody = changeOptions({});
export const counterFrameSchema = changeOptions({ channel: channelField.optional() });

export type CounterChangeInput = z.infer<typeof counterChangeBody>;

const toChange = (input: CounterChangeInput): CounterChange =>
  input.action === 'reset' ? { action: 'reset' } : { action: input.action, value: input.value };

/**
 * Changes a counter and tells its subscribers: `counter_update` {action, value, counter (the new total),
 * version}. The total and the version come from one atomic update, so every frame is exact; fan-outs of
 * concurrent changes may arrive in any order, and the frame with the highest version is the current total.
 */
export async function changeCounter(
  deps: Deps,
  channel: Channel,
  input: CounterChangeInput,
): Promise<CounterState> {
  const change = toChange(input);
  const state = await deps.counters.apply(counterName(channel), change, deps.clock.now());
  await publishEvent(deps, {
    channel,
    event: {
      type: 'counter_update',
      action: change.action,
      value: change.action === 'reset' ? 0 : change.value,
      counter: state.total,
      version: state.version,
    },
  });
  return state;
}

/** `{"action": …, "value": …}` without a `type` (seed 001's counter clients): a change of a subscribed counter. */
export const counterAction = defineFrame({
  type: null,
  typelessField: 'action',
  schema: counterFrameSchema,
  async handle(ctx, frame) {
    const { channel: named, ...change } = frame;
    const channel = await subscribedChannel(ctx, named, 'counter');
    await changeCounter(ctx.deps, channel, change);
  },
});

/**
 * A counter answers a join with its current total (`counter_update`, action `sync`) and the number of
 * connections on it (`user_count_update`), and tells the others the new number on every join and leave.
 * At `$connect` nothing can be sent to the joiner yet: it gets both in answer to its `hello`.
 */
export const counterHooks: ChannelHooks = {
  async afterJoin(deps, { channel, connectionId, count }, ctx) {
    if (ctx) await answerJoin(deps, channel, count, ctx);
    await announceCount(deps, channel, count, connectionId);
  },
  async afterLeave(deps, { channel, connectionId, count }) {
    if (count > 0) await announceCount(deps, channel, count, connectionId);
  },
  async onHello(deps, channel, ctx) {
    await answerJoin(deps, channel, await deps.connections.countSubscribers(channel.id), ctx);
  },
};

async function answerJoin(deps: Deps, channel: Channel, count: number, ctx: FrameContext): Promise<void> {
  const state = await deps.counters.read(counterName(channel));
  ctx.reply(
    envelope(deps, channel, {
      type: 'counter_update',
      action: 'sync',
      value: 0,
      counter: state.total,
      version: state.version,
    }),
  );
  ctx.reply(envelope(deps, channel, { type: 'user_count_update', count }));
}

/** `user_count_update` to every subscriber but `except` (who is answered directly, or is still connecting). */
async function announceCount(deps: Deps, channel: Channel, count: number, except: string): Promise<void> {
  await publishEvent(deps, {
    channel,
    event: { type: 'user_count_update', count },
    exclude: new Set([except]),
    ephemeral: true,
  });
}

/** A frame about a channel sent to one connection: the same envelope fan-out gives (type, channel, id, timestamp). */
const envelope = (
  deps: Deps,
  channel: Channel,
  event: { type: string } & Record<string, unknown>,
): ServerFrame => {
  const { type, ...fields } = event;
  return { type, channel: channel.id, id: deps.ids.next(), timestamp: isoTime(deps.clock.now()), ...fields };
};

const counterName = (channel: Channel): string => channel.name ?? channel.id;
