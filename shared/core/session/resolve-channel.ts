import type { Channel, ChannelRegistry, NamespaceDefinition } from '../channels';
import { ProtocolError } from '../errors';
import type { ConnectionStore } from '../ports';
import type { FrameContext } from './context';

export interface ResolveDeps {
  connections: Pick<ConnectionStore, 'get'>;
  channels: ChannelRegistry;
}

/**
 * The channel a namespace's own frame is for (PROTOCOL.md section 3, `channel?`). The seed clients connected
 * one URL per stream and named no channel: then the connection's one subscribed channel of the namespace is
 * used; none, or more than one, is CHANNEL_REQUIRED. A named channel must be of the namespace, and with
 * `subscribed` the connection must be on it (NOT_SUBSCRIBED): one cannot talk into a room, or turn a
 * counter, one is not watching.
 */
export async function resolveChannel(
  deps: ResolveDeps,
  ctx: FrameContext,
  named: string | undefined,
  namespace: NamespaceDefinition,
  options: { subscribed?: boolean } = {},
): Promise<Channel> {
  if (named !== undefined) {
    const channel = deps.channels.parse(named);
    if (channel.namespace.name !== namespace.name) {
      throw new ProtocolError(
        'INVALID_CHANNEL',
        `this frame goes to a ${namespace.name}: channel, not "${channel.id}"`,
      );
    }
    if (options.subscribed) {
      const record = await deps.connections.get(ctx.connectionId);
      if (!record?.channels.includes(channel.id)) {
        throw new ProtocolError('NOT_SUBSCRIBED', `subscribe to "${channel.id}" first`);
      }
    }
    return channel;
  }
  const record = await deps.connections.get(ctx.connectionId);
  const ns = namespace.name;
  const candidates = (record?.channels ?? []).filter((c) => c === ns || c.startsWith(`${ns}:`));
  if (candidates.length !== 1) {
    throw new ProtocolError(
      'CHANNEL_REQUIRED',
      candidates.length === 0
        ? `name the channel: this connection is on no ${ns}: channel`
        : `name the channel: this connection is on ${candidates.length} ${ns}: channels`,
    );
  }
  return deps.channels.parse(candidates[0]); // found among its own subscriptions: subscribed by definition
}
