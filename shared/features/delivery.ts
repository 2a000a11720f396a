import type { Channel, NamespaceName } from '../channels';
import type { FrameContext } from '../domain/context';
import type { PublishResult } from '../domain/publish';
import { resolveChannel } from '../domain/resolve-channel';
import { ProtocolError } from '../errors';

/**
 * How the features of seeds 000 and 001 take a client's message in and say what became of it: the
 * "subscribed first" rule of a namespace's own frames, the `ack`, and the report of a REST push.
 */

/**
 * The channel a namespace's own frame goes to (the `channel?` rule), which the connection must be
 * subscribed to (NOT_SUBSCRIBED): one cannot talk into a room, or turn a counter, one is not watching.
 */
export async function subscribedChannel(
  ctx: FrameContext,
  named: string | undefined,
  namespace: NamespaceName,
): Promise<Channel> {
  const channel = await resolveChannel(ctx, named, namespace);
  if (named === undefined) return channel; // found among the connection's own subscriptions
  const record = await ctx.deps.connections.get(ctx.connectionId);
  if (!record?.channels.includes(channel.id)) {
    throw new ProtocolError('NOT_SUBSCRIBED', `subscribe to "${channel.id}" first`);
  }
  return channel;
}

/** What a REST push answers (202): the event's id, and how many connections it was for and reached. */
export interface PushReport {
  id: string;
  recipients: number;
  delivered: number;
  /** The event's seq, where it went to one channel with history. */
  seq?: number;
}

export const pushReport = (
  r: Pick<PublishResult, 'id' | 'recipients' | 'delivered' | 'seq'>,
): PushReport => ({
  id: r.id,
  recipients: r.recipients,
  delivered: r.delivered,
  ...(r.seq === undefined ? {} : { seq: r.seq }),
});
