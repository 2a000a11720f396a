import * as z from 'zod/mini';
import type { Channel } from '../../core/channels';
import { frameOf } from '../../core/delivery/envelope';
import { channelField, isoTime, type ServerFrame } from '../../core/protocol';
import { type PublishDeps, publish } from '../../core/publish';
import type { FrameContext } from '../../core/session/context';
import { defineFrame, type FrameHandler } from '../../core/session/frames';
import type { ChannelHooks } from '../../core/session/hooks';
import { type ResolveDeps, resolveChannel } from '../../core/session/resolve-channel';
import { counter } from './manifest';
import type { CounterChange, CounterState, CounterStore } from './store';

/** What the counters feature uses of the runtime. */
export type CountersDeps = PublishDeps & ResolveDeps & { counters: CounterStore };

/** The largest step of one change, either way. */
export const COUNTER_STEP_MAX = 1_000_000;

const step = z.lazy(() =>
  z.number().check(z.int(), z.minimum(-COUNTER_STEP_MAX), z.maximum(COUNTER_STEP_MAX)),
);

/** `{action, value}`: increment and decrement need an integer value; reset ignores whatever value it has. */
const changeOptions = <T extends z.core.$ZodShape>(extra: T) =>
  z.discriminatedUnion('action', [
    z.object({ action: z.literal('increment'), value: step, ...extra }),
    z.object({ action: z.literal('decrement'), value: step, ...extra }),
    z.object({ action: z.literal('reset'), value: z.optional(z.unknown()), ...extra }),
  ]);

export const counterChangeBody = z.lazy(() => changeOptions({}));
export const counterFrameSchema = z.lazy(() => changeOptions({ channel: z.optional(channelField) }));

export type CounterChangeInput = z.infer<typeof counterChangeBody>;

const toChange = (input: CounterChangeInput): CounterChange =>
  input.action === 'reset' ? { action: 'reset' } : { action: input.action, value: input.value };

/**
 * Changes a counter and tells its subscribers: `counter_update` {action, value, counter (the new total),
 * version}. The total and the version come from one atomic update, so every frame is exact; deliveries of
 * concurrent changes may arrive in any order, and the frame with the highest version is the current total.
 */
export async function changeCounter(
  deps: CountersDeps,
  channel: Channel,
  input: CounterChangeInput,
): Promise<CounterState> {
  const change = toChange(input);
  const state = await deps.counters.apply(counterName(channel), change, deps.clock.now());
  await publish(deps, {
    channels: [channel],
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
export const counterAction = (deps: CountersDeps): FrameHandler =>
  defineFrame({
    schema: counterFrameSchema,
    async handle(ctx, frame) {
      const { channel: named, ...change } = frame;
      const channel = await resolveChannel(deps, ctx, named, counter, { subscribed: true });
      await changeCounter(deps, channel, change);
    },
  });

/**
 * A counter answers a join with its current total (`counter_update`, action `sync`) and the number of
 * connections on it (`user_count_update`), and tells the others the new number on every join and leave.
 * At `$connect` nothing can be sent to the joiner yet: it gets both in answer to its `hello`.
 */
export function counterHooks(deps: CountersDeps): ChannelHooks {
  return {
    async afterJoin({ channel, connectionId, count }, ctx) {
      if (ctx) await answerJoin(deps, channel, count, ctx);
      await announceCount(deps, channel, count, connectionId);
    },
    async afterLeave({ channel, connectionId, count }) {
      if (count > 0) await announceCount(deps, channel, count, connectionId);
    },
    async onHello(channel, ctx) {
      await answerJoin(deps, channel, await deps.connections.countSubscribers(channel.id), ctx);
    },
  };
}

async function answerJoin(
  deps: CountersDeps,
  channel: Channel,
  count: number,
  ctx: FrameContext,
): Promise<void> {
  const state = await deps.counters.read(counterName(channel));
  ctx.reply(
    direct(deps, channel, {
      type: 'counter_update',
      action: 'sync',
      value: 0,
      counter: state.total,
      version: state.version,
    }),
  );
  ctx.reply(direct(deps, channel, { type: 'user_count_update', count }));
}

/** `user_count_update` to every subscriber but `except` (who is answered directly, or is still connecting). */
async function announceCount(deps: CountersDeps, channel: Channel, count: number, except: string) {
  await publish(deps, {
    channels: [channel],
    event: { type: 'user_count_update', count },
    exclude: new Set([except]),
    ephemeral: true,
  });
}

/** A frame about a channel answered to one connection: the envelope every delivered frame has. */
const direct = (
  deps: CountersDeps,
  channel: Channel,
  event: { type: string } & Record<string, unknown>,
): ServerFrame =>
  frameOf(
    { type: event.type, channel: channel.id, id: deps.ids.next(), timestamp: isoTime(deps.clock.now()) },
    event,
  );

const counterName = (channel: Channel): string => channel.name ?? channel.id;
