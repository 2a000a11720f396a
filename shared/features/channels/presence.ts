import { authorizeSubscribe, type ChannelAccess, type ChannelRegistry } from '../../core/channels';
import type { Operation } from '../../core/operations';
import type { ConnectionStore } from '../../core/ports';
import type { FanOutSettings } from '../../core/settings';

/** The most users a presence answer lists; `count` and `anonymous` still count everyone. */
export const PRESENCE_MAX_USERS = 100;

export interface Presence {
  /** Connections subscribed to the channel. */
  count: number;
  /** Distinct authenticated users among them (at most PRESENCE_MAX_USERS), sorted by id. */
  users: { id: string; username: string }[];
  /** Subscribed connections without a user. */
  anonymous: number;
}

export interface PresenceDeps {
  connections: Pick<ConnectionStore, 'subscribers' | 'countSubscribers'>;
  config: { fanOut: Pick<FanOutSettings, 'pageSize'> };
}

/**
 * Who is on a channel: the connection count kept beside the subscriptions, and the subscriptions
 * themselves read page by page (a Query of the channel's partition, as a delivery does; never a Scan).
 */
export async function readPresence(deps: PresenceDeps, channel: string): Promise<Presence> {
  const users = new Map<string, string>();
  let anonymous = 0;
  for await (const page of deps.connections.subscribers(channel, {
    pageSize: deps.config.fanOut.pageSize,
  })) {
    for (const sub of page) {
      if (sub.userId === null) anonymous++;
      else if (users.size < PRESENCE_MAX_USERS && !users.has(sub.userId)) {
        users.set(sub.userId, sub.username ?? sub.userId);
      }
    }
  }
  return {
    count: await deps.connections.countSubscribers(channel),
    users: [...users]
      .map(([id, username]) => ({ id, username }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    anonymous,
  };
}

/** GET /v1/channels/{channel}/presence: for whoever may subscribe to the channel. */
export const presenceOperation =
  (deps: PresenceDeps & { channels: ChannelRegistry; access: ChannelAccess }): Operation =>
  async ({ principal, params }) => {
    const channel = deps.channels.parse(params.channel);
    await authorizeSubscribe(principal, channel, deps.access);
    return { status: 200, body: { channel: channel.id, ...(await readPresence(deps, channel.id)) } };
  };
