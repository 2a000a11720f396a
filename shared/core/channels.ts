import type { Principal } from './auth/principal';
import { ProtocolError } from './errors';
import { CHANNEL_NAME, CHANNEL_NAME_RULE, isPlainNameChar } from './protocol';

/**
 * Channels and their namespaces (PROTOCOL.md section 4). A channel is `namespace` or `namespace:name`. A
 * namespace is pure data, defined by the feature it belongs to (its manifest) or, for `user`, here; the
 * registry built from all of them is what parses a channel name and says who may do what on it.
 */

/** Who may subscribe (and read history and presence). */
export type Audience =
  | 'anyone' // anonymous connections too
  | 'self' // user:{id}: only the user whose `sub` is {id}
  | 'members' // org:{id}: principals whose organisations include {id}
  | 'participants'; // chat:{id}: whom the namespace's feature lists (ChannelAccess.isParticipant)

export interface History {
  /** How many of the newest messages stay readable; null keeps all. */
  readonly keep: number | null;
  /** How long a message stays; null keeps it forever. */
  readonly ttlSeconds: number | null;
}

export interface NamespaceDefinition {
  readonly name: string;
  /** `required`: `room:x` only; `none`: `sensors` only; `optional`: both (`live`, `live:x`). */
  readonly naming: 'required' | 'none' | 'optional';
  readonly audience: Audience;
  /** May clients send generic `publish` frames here? (Namespaces' own frames are checked by their features.) */
  readonly clientPublish: boolean;
  /** Must a connection be subscribed before it publishes? */
  readonly publishRequiresSubscription: boolean;
  readonly history: History | null;
  /** Largest `data` a client may publish, in bytes of JSON (MAX_DATA_BYTES when absent). */
  readonly maxDataBytes?: number;
  /**
   * How many partitions hold a channel's subscriptions and counts (DEFAULT_SUBSCRIBER_SHARDS when absent):
   * 1 where a channel is small by nature (`user:`, a private chat). More shards spread a large channel's
   * joins and leaves over more partitions (each takes ~1,000 writes a second) and cost a Query each per
   * fan-out. Changing it moves every channel of the namespace: only with no connection open
   * (docs/dynamodb.md).
   */
  readonly subscriberShards?: number;
}

/** A namespace's shard count when it names none (docs/dynamodb.md has the arithmetic). */
export const DEFAULT_SUBSCRIBER_SHARDS = 8;

/**
 * The shard of a connection's subscription on a channel of `shards` shards: a pure function of the
 * connection id (FNV-1a), so subscribe and unsubscribe find it without reading anything, and a channel's
 * connections spread evenly over its shards.
 */
export function shardOf(connectionId: string, shards: number): number {
  if (shards <= 1) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < connectionId.length; i++) {
    hash ^= connectionId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}

export interface Channel {
  /** The full name, e.g. `room:general`. */
  id: string;
  namespace: NamespaceDefinition;
  /** The part after the colon; null for `sensors`. */
  name: string | null;
}

export const DAY_SECONDS = 24 * 60 * 60;

/** `user:{id}`: the protocol's own namespace, since every authenticated connection is put on its user's. */
export const userNamespace = {
  name: 'user',
  naming: 'required',
  audience: 'self',
  clientPublish: false,
  publishRequiresSubscription: false,
  history: { keep: 100, ttlSeconds: 7 * DAY_SECONDS },
  // One user's connections (at most MAX_CONNECTIONS_PER_USER): one partition is plenty.
  subscriberShards: 1,
} as const satisfies NamespaceDefinition;

/** Every namespace there is, by name: what parses a channel name that may be of any of them. */
export interface ChannelRegistry {
  readonly namespaces: readonly NamespaceDefinition[];
  /** Parses and validates a channel name; throws INVALID_CHANNEL saying what is wrong. */
  parse(input: unknown): Channel;
  /**
   * How many partitions hold the subscriptions of a stored channel name (its namespace's shard count;
   * DEFAULT_SUBSCRIBER_SHARDS for a namespace this code does not know).
   */
  subscriberShards(channel: string): number;
}

export function createChannelRegistry(namespaces: readonly NamespaceDefinition[]): ChannelRegistry {
  const byName = new Map<string, NamespaceDefinition>();
  for (const ns of namespaces) {
    if (byName.has(ns.name)) throw new Error(`namespace "${ns.name}" is defined twice`);
    byName.set(ns.name, ns);
  }
  return {
    namespaces,
    parse: (input) => parseIn(byName, input),
    subscriberShards(channel) {
      const colon = channel.indexOf(':');
      const ns = byName.get(colon === -1 ? channel : channel.slice(0, colon));
      return ns?.subscriberShards ?? DEFAULT_SUBSCRIBER_SHARDS;
    },
  };
}

/** A stored channel name parsed, or null when this code no longer knows its namespace (nothing to run for it). */
export function parseStored(registry: ChannelRegistry, id: string): Channel | null {
  try {
    return registry.parse(id);
  } catch {
    return null;
  }
}

/** A channel of a namespace the caller knows: `room` and `general` give `room:general`, checked as any other. */
export const channelIn = (namespace: NamespaceDefinition, name: string | null): Channel =>
  parseIn(
    new Map([[namespace.name, namespace]]),
    name === null ? namespace.name : `${namespace.name}:${name}`,
  );

function parseIn(namespaces: ReadonlyMap<string, NamespaceDefinition>, input: unknown): Channel {
  if (typeof input !== 'string' || input.length === 0) {
    throw new ProtocolError('INVALID_CHANNEL', 'channel must be a non-empty string');
  }
  const colon = input.indexOf(':');
  const nsName = colon === -1 ? input : input.slice(0, colon);
  const name = colon === -1 ? null : input.slice(colon + 1);
  const namespace = namespaces.get(nsName);
  if (!namespace) {
    throw new ProtocolError('INVALID_CHANNEL', `unknown namespace "${nsName}" in channel "${clip(input)}"`);
  }
  if (name === null && namespace.naming === 'required') {
    throw new ProtocolError('INVALID_CHANNEL', `channel "${clip(input)}" needs a name: ${nsName}:{name}`);
  }
  if (name !== null && namespace.naming === 'none') {
    throw new ProtocolError('INVALID_CHANNEL', `channel "${nsName}" takes no name`);
  }
  if (name !== null && !CHANNEL_NAME.test(name)) {
    throw new ProtocolError('INVALID_CHANNEL', `channel name "${clip(name)}" must be ${CHANNEL_NAME_RULE}`);
  }
  return { id: input, namespace, name };
}

/**
 * The channel of a user: `user:{sub}`. Identity providers' subjects are not all channel names (Auth0's
 * `auth0|5f7c…`, emails with `+`): every byte outside the name alphabet, and `=` itself, is written as `=XX`
 * (hex of its UTF-8 byte), so `auth0|123` has the channel `user:auth0=7C123`. Subjects that are channel
 * names already (UUIDs, Keycloak and Cognito ids) are their own name.
 */
export const userChannel = (sub: string): string => `${userNamespace.name}:${userChannelName(sub)}`;

/** The same as a Channel. */
export const userChannelOf = (sub: string): Channel => channelIn(userNamespace, userChannelName(sub));

function userChannelName(sub: string): string {
  let name = '';
  for (const byte of new TextEncoder().encode(sub)) {
    const c = String.fromCharCode(byte);
    name += isPlainNameChar(c) ? c : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return name;
}

const clip = (s: string): string => (s.length > 80 ? `${s.slice(0, 77)}...` : s);

/** What the `participants` audience needs beyond the principal: the namespace's feature keeps the list. */
export interface ChannelAccess {
  isParticipant(channel: Channel, userId: string): Promise<boolean>;
}

/**
 * May `principal` subscribe to `channel` (and read its history and presence)? Resolves when allowed;
 * throws UNAUTHORIZED for an anonymous principal where a token is needed, FORBIDDEN otherwise.
 */
export async function authorizeSubscribe(
  principal: Principal,
  channel: Channel,
  access: ChannelAccess,
): Promise<void> {
  const { audience } = channel.namespace;
  if (audience === 'anyone') return;
  if (principal.sub === null) {
    throw new ProtocolError('UNAUTHORIZED', `channel "${channel.id}" needs an authenticated connection`);
  }
  const name = channel.name ?? '';
  const allowed =
    audience === 'self'
      ? userChannel(principal.sub) === channel.id
      : audience === 'members'
        ? principal.orgs.includes(name)
        : await access.isParticipant(channel, principal.sub);
  if (!allowed) throw new ProtocolError('FORBIDDEN', forbiddenReason(audience, channel.id));
}

function forbiddenReason(audience: Audience, channel: string): string {
  switch (audience) {
    case 'self':
      return `"${channel}" is another user's channel`;
    case 'members':
      return `not a member of the organisation of "${channel}"`;
    default:
      return `not a participant of "${channel}"`;
  }
}

/** May `principal` send generic `publish` frames to `channel`? Subscription is checked by the caller. */
export async function authorizeClientPublish(
  principal: Principal,
  channel: Channel,
  access: ChannelAccess,
): Promise<void> {
  if (!channel.namespace.clientPublish) {
    throw new ProtocolError('FORBIDDEN', `clients cannot publish to "${channel.namespace.name}" channels`);
  }
  await authorizeSubscribe(principal, channel, access);
}
