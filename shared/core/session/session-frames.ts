import * as z from 'zod/mini';
import { senderOf } from '../auth/principal';
import {
  authorizeClientPublish,
  authorizeSubscribe,
  type ChannelAccess,
  type ChannelRegistry,
} from '../channels';
import { join, leave, type MembershipDeps } from '../connections';
import { ProtocolError } from '../errors';
import type { MessageStore } from '../ports';
import { channelField, checkDataSize, clientMessageId, isoTime } from '../protocol';
import { ackFrame, type PublishDeps, publish } from '../publish';
import { type RecoveryDeps, readReplay } from '../recovery';
import type { Limits } from '../settings';
import { defineFrame, type FrameHandler, frameIdempotency } from './frames';
import { runHook } from './hooks';
import type { SessionFrameType } from './manifest';

/** Client frames of PROTOCOL.md section 3 that every namespace shares; unknown extra fields are ignored. */
export const helloFrame = z.lazy(() => z.object({ type: z.literal('hello') }));
export const pingFrame = z.lazy(() =>
  z.object({
    type: z.literal('ping'),
    timestamp: z.optional(z.union([z.string().check(z.maxLength(64)), z.number()])),
  }),
);
export const subscribeFrame = z.lazy(() =>
  z.object({
    type: z.literal('subscribe'),
    channel: channelField,
    since: z.optional(z.number().check(z.int(), z.minimum(0))),
  }),
);
export const unsubscribeFrame = z.lazy(() =>
  z.object({ type: z.literal('unsubscribe'), channel: channelField }),
);
export const publishFrame = z.lazy(() =>
  z.object({
    type: z.literal('publish'),
    channel: channelField,
    data: z.record(z.string(), z.unknown()),
    id: z.optional(clientMessageId),
  }),
);

export type SessionDeps = PublishDeps &
  MembershipDeps &
  RecoveryDeps & {
    channels: ChannelRegistry;
    access: ChannelAccess;
    messages: Pick<MessageStore, 'nextSeq' | 'appendHistory' | 'currentSeq' | 'history'>;
    config: { limits: Pick<Limits, 'channelsPerConnection' | 'maxDataBytes'> };
  };

/** The session frames' handlers: exactly the types of SESSION_FRAME_TYPES (the compiler holds them to it). */
export function sessionFrames(deps: SessionDeps): Record<SessionFrameType, FrameHandler> {
  const hello = defineFrame({
    schema: helloFrame,
    async handle(ctx) {
      const record = await deps.connections.get(ctx.connectionId);
      const channels = record?.channels ?? [];
      ctx.reply({
        type: 'connection.established',
        connection_id: ctx.connectionId,
        user_id: ctx.principal.sub,
        channels,
        timestamp: isoTime(ctx.now),
      });
      for (const id of channels) {
        const channel = deps.channels.parse(id);
        const hooks = deps.hooks[channel.namespace.name];
        if (hooks?.onHello) await runHook(deps.log, `onHello ${id}`, () => hooks.onHello?.(channel, ctx));
      }
    },
  });

  const ping = defineFrame({
    schema: pingFrame,
    async handle(ctx, frame) {
      ctx.reply({ type: 'pong', timestamp: frame.timestamp ?? isoTime(ctx.now) });
    },
  });

  const subscribe = defineFrame({
    schema: subscribeFrame,
    async handle(ctx, frame) {
      const { principal, connectionId } = ctx;
      const channel = deps.channels.parse(frame.channel);
      await authorizeSubscribe(principal, channel, deps.access);
      if (!channel.namespace.history) {
        ctx.reply({ type: 'subscribed', channel: channel.id });
        await join(deps, connectionId, principal, channel, ctx);
        return;
      }
      // The subscription is stored before the seq is read: every message with a higher seq is then certain
      // to find it and arrive live, every message up to the seq arrives by the replay. A recovering one is
      // stored "replay pending": a delivery that finds it before its seq is known waits for it
      // (core/delivery/deliver.ts), so no message comes both ways.
      const recovering = frame.since !== undefined;
      const placeholder = ctx.replies.length;
      ctx.reply({ type: 'subscribed', channel: channel.id });
      await join(deps, connectionId, principal, channel, ctx, { replayPending: recovering });
      const seq = await deps.messages.currentSeq(channel.id);
      if (frame.since === undefined) {
        ctx.replies[placeholder] = JSON.stringify({ type: 'subscribed', channel: channel.id, seq });
        return;
      }
      await deps.connections.setReplayedTo(connectionId, channel.id, seq);
      const replay = await readReplay(deps, channel, frame.since, seq);
      ctx.replies[placeholder] = JSON.stringify({
        type: 'subscribed',
        channel: channel.id,
        seq,
        recovered: replay.recovered,
      });
      for (const entry of replay.entries) ctx.replyRaw(entry.frame);
    },
  });

  const unsubscribe = defineFrame({
    schema: unsubscribeFrame,
    async handle(ctx, frame) {
      const channel = deps.channels.parse(frame.channel);
      await leave(deps, ctx.connectionId, ctx.principal, channel);
      ctx.reply({ type: 'unsubscribed', channel: channel.id });
    },
  });

  const publishHandler = defineFrame({
    schema: publishFrame,
    async handle(ctx, frame) {
      const channel = deps.channels.parse(frame.channel);
      await authorizeClientPublish(ctx.principal, channel, deps.access);
      if (channel.namespace.publishRequiresSubscription) {
        const record = await deps.connections.get(ctx.connectionId);
        if (!record?.channels.includes(channel.id)) {
          throw new ProtocolError('NOT_SUBSCRIBED', `subscribe to "${channel.id}" before publishing to it`);
        }
      }
      checkDataSize(frame.data, channel.namespace.maxDataBytes ?? deps.config.limits.maxDataBytes);
      const idempotency = frameIdempotency(channel, frame);
      const publication = await publish(deps, {
        channels: [channel],
        event: { type: 'publication', sender: senderOf(ctx.principal), data: frame.data },
        ...(idempotency ? { idempotency } : {}),
      });
      ctx.reply(ackFrame(publication, channel, frame.id));
    },
  });

  return { hello, ping, subscribe, unsubscribe, publish: publishHandler };
}
