import { type Channel, type NamespaceName, parseChannel } from '../channels';
import { ProtocolError } from '../errors';
import type { FrameContext } from './context';

/**
 * The channel a namespace's own frame is for (PROTOCOL.md section 3, `channel?`). The seed clients connected
 * one URL per stream and named no channel: then the connection's one subscribed channel of the namespace is
 * used; none, or more than one, is CHANNEL_REQUIRED. A named channel must be of the namespace.
 */
export async function resolveChannel(
  ctx: FrameContext,
  named: string | undefined,
  namespace: NamespaceName,
): Promise<Channel> {
  if (named !== undefined) {
    const channel = parseChannel(named);
    if (channel.namespace.name !== namespace) {
      throw new ProtocolError(
        'INVALID_CHANNEL',
        `this frame goes to a ${namespace}: channel, not "${channel.id}"`,
      );
    }
    return channel;
  }
  const record = await ctx.deps.connections.get(ctx.connectionId);
  const candidates = (record?.channels ?? []).filter((c) => c === namespace || c.startsWith(`${namespace}:`));
  if (candidates.length !== 1) {
    throw new ProtocolError(
      'CHANNEL_REQUIRED',
      candidates.length === 0
        ? `name the channel: this connection is on no ${namespace}: channel`
        : `name the channel: this connection is on ${candidates.length} ${namespace}: channels`,
    );
  }
  return parseChannel(candidates[0]);
}
