import { senderOf } from '../auth/principal';
import { authorizeClientPublish, authorizeSubscribe, parseChannel } from '../channels';
import { ProtocolError } from '../errors';
import {
  checkDataSize,
  helloFrame,
  isoTime,
  pingFrame,
  publishFrame,
  subscribeFrame,
  unsubscribeFrame,
} from '../protocol';
import { join, leave } from './connections';
import { defineFrame } from './frames';
import { runHook } from './hooks';
import { ackFrame, idempotencyKey, publishEvent } from './publish';
import { readReplay } from './recovery';

/** The frames every namespace shares (PROTOCOL.md section 3): hello, ping, subscribe, unsubscribe, publish. */

export const hello = defineFrame({
  type: 'hello',
  schema: helloFrame,
  async handle(ctx) {
    const { deps, principal } = ctx;
    const record = await deps.connections.get(ctx.connectionId);
    const channels = record?.channels ?? [];
    ctx.reply({
      type: 'connection.established',
      connection_id: ctx.connectionId,
      user_id: principal.sub,
      channels,
      timestamp: isoTime(ctx.now),
    });
    for (const id of channels) {
      const channel = parseChannel(id);
      const hooks = deps.hooks[channel.namespace.name];
      if (hooks?.onHello) await runHook(deps, `onHello ${id}`, () => hooks.onHello?.(deps, channel, ctx));
    }
  },
});

export const ping = defineFrame({
  type: 'ping',
  schema: pingFrame,
  async handle(ctx, frame) {
    ctx.reply({ type: 'pong', timestamp: frame.timestamp ?? isoTime(ctx.now) });
  },
});

export const subscribe = defineFrame({
  type: 'subscribe',
  schema: subscribeFrame,
  async handle(ctx, frame) {
    const { deps, principal, connectionId } = ctx;
    const channel = parseChannel(frame.channel);
    await authorizeSubscribe(principal, channel, deps.messages);
    if (!channel.namespace.history) {
      ctx.reply({ type: 'subscribed', channel: channel.id });
      await join(deps, connectionId, principal, channel, ctx);
      return;
    }
    // The subscription is stored before the seq is read: every message with a higher seq is then certain
    // to find it and arrive live, every message up to the seq arrives by the replay. A recovering one is
    // stored "replay pending": a fan-out that finds it before its seq is known waits for it (fanout.ts),
    // so no message comes both ways.
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

export const unsubscribe = defineFrame({
  type: 'unsubscribe',
  schema: unsubscribeFrame,
  async handle(ctx, frame) {
    const channel = parseChannel(frame.channel);
    await leave(ctx.deps, ctx.connectionId, ctx.principal, channel);
    ctx.reply({ type: 'unsubscribed', channel: channel.id });
  },
});

export const publish = defineFrame({
  type: 'publish',
  schema: publishFrame,
  async handle(ctx, frame) {
    const { deps, principal } = ctx;
    const channel = parseChannel(frame.channel);
    await authorizeClientPublish(principal, channel, deps.messages);
    if (channel.namespace.publishRequiresSubscription) {
      const record = await deps.connections.get(ctx.connectionId);
      if (!record?.channels.includes(channel.id)) {
        throw new ProtocolError('NOT_SUBSCRIBED', `subscribe to "${channel.id}" before publishing to it`);
      }
    }
    checkDataSize(frame.data, channel.namespace.maxDataBytes ?? deps.config.limits.maxDataBytes);
    const result = await publishEvent(deps, {
      channel,
      event: { type: 'publication', sender: senderOf(principal), data: frame.data },
      ...(frame.id === undefined ? {} : { idempotencyKey: idempotencyKey(`ws#${channel.id}`, frame.id) }),
    });
    ctx.reply(ackFrame(result, frame.id));
  },
});

export const coreFrames = [hello, ping, subscribe, unsubscribe, publish];
