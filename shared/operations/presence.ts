import { authorizeSubscribe, parseChannel } from '../channels';
import type { Deps } from '../domain/context';
import type { OperationInput, OperationResult } from '../http';

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

/**
 * Who is on a channel: the connection count kept beside the subscriptions, and the subscriptions
 * themselves read page by page (a Query of the channel's partition, as fan-out does; never a Scan).
 */
export async function readPresence(deps: Deps, channel: string): Promise<Presence> {
  const users = new Map<string, string>();
  let anonymous = 0;
  for await (const page of deps.connections.subscribers(channel, deps.config.fanOut.pageSize)) {
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
export async function presenceOperation({
  deps,
  principal,
  params,
}: OperationInput): Promise<OperationResult> {
  const channel = parseChannel(params.channel);
  await authorizeSubscribe(principal, channel, deps.messages);
  return { status: 200, body: { channel: channel.id, ...(await readPresence(deps, channel.id)) } };
}
