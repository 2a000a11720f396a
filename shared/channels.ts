import type { Principal } from './auth/principal';
import { ProtocolError } from './errors';

/**
 * Channels and their namespaces (PROTOCOL.md section 4). A channel is `namespace` or `namespace:name`; the
 * registry below says, per namespace, who may subscribe, whether clients may publish, and what history
 * is kept. Everything that asks "may this principal do that on this channel" reads it.
 */
export type NamespaceName =
  | 'room'
  | 'chat'
  | 'user'
  | 'org'
  | 'counter'
  | 'sensors'
  | 'device'
  | 'sensor'
  | 'live';

/** Who may subscribe (and read history and presence). */
export type Audience =
  | 'anyone' // anonymous connections too
  | 'self' // user:{id}: only the user whose `sub` is {id}
  | 'members' // org:{id}: principals whose organisations include {id}
  | 'participants'; // chat:{id}: participants stored with the chat

export interface History {
  /** How many of the newest messages stay readable; null keeps all. */
  keep: number | null;
  /** How long a message stays; null keeps it forever. */
  ttlSeconds: number | null;
}

export interface Namespace {
  name: NamespaceName;
  /** `required`: `room:x` only; `none`: `sensors` only; `optional`: both (`live`, `live:x`). */
  naming: 'required' | 'none' | 'optional';
  audience: Audience;
  /** May clients send generic `publish` frames here? (Namespaces' own frames are checked by their features.) */
  clientPublish: boolean;
  /** Must a connection be subscribed before it publishes? */
  publishRequiresSubscription: boolean;
  history: History | null;
  /** Largest `data` a client may publish, in bytes of JSON. */
  maxDataBytes?: number;
}

const DAY = 24 * 60 * 60;

export const namespaces: Readonly<Record<NamespaceName, Namespace>> = {
  room: {
    name: 'room',
    naming: 'required',
    audience: 'anyone',
    clientPublish: true,
    publishRequiresSubscription: true,
    history: { keep: 100, ttlSeconds: DAY },
  },
  chat: {
    name: 'chat',
    naming: 'required',
    audience: 'participants',
    clientPublish: true,
    publishRequiresSubscription: false,
    history: { keep: null, ttlSeconds: null },
  },
  user: {
    name: 'user',
    naming: 'required',
    audience: 'self',
    clientPublish: false,
    publishRequiresSubscription: false,
    history: { keep: 100, ttlSeconds: 7 * DAY },
  },
  org: {
    name: 'org',
    naming: 'required',
    audience: 'members',
    clientPublish: false,
    publishRequiresSubscription: false,
    history: { keep: 100, ttlSeconds: 7 * DAY },
  },
  counter: {
    name: 'counter',
    naming: 'required',
    audience: 'anyone',
    clientPublish: false,
    publishRequiresSubscription: false,
    history: null,
  },
  sensors: {
    name: 'sensors',
    naming: 'none',
    audience: 'anyone',
    clientPublish: false,
    publishRequiresSubscription: false,
    history: null,
  },
  device: {
    name: 'device',
    naming: 'required',
    audience: 'anyone',
    clientPublish: false,
    publishRequiresSubscription: false,
    history: null,
  },
  sensor: {
    name: 'sensor',
    naming: 'required',
    audience: 'anyone',
    clientPublish: false,
    publishRequiresSubscription: false,
    history: null,
  },
  live: {
    name: 'live',
    naming: 'optional',
    audience: 'anyone',
    clientPublish: false,
    publishRequiresSubscription: false,
    history: null,
  },
};

export interface Channel {
  /** The full name, e.g. `room:general`. */
  id: string;
  namespace: Namespace;
  /** The part after the colon; null for `sensors`. */
  name: string | null;
}

const NAME = /^[A-Za-z0-9_\-.@=]{1,128}$/;

/** Parses and validates a channel name; throws INVALID_CHANNEL saying what is wrong. */
export function parseChannel(input: unknown): Channel {
  if (typeof input !== 'string' || input.length === 0) {
    throw new ProtocolError('INVALID_CHANNEL', 'channel must be a non-empty string');
  }
  const colon = input.indexOf(':');
  const nsName = colon === -1 ? input : input.slice(0, colon);
  const name = colon === -1 ? null : input.slice(colon + 1);
  const namespace = Object.hasOwn(namespaces, nsName) ? namespaces[nsName as NamespaceName] : undefined;
  if (!namespace) {
    throw new ProtocolError('INVALID_CHANNEL', `unknown namespace "${nsName}" in channel "${clip(input)}"`);
  }
  if (name === null && namespace.naming === 'required') {
    throw new ProtocolError('INVALID_CHANNEL', `channel "${clip(input)}" needs a name: ${nsName}:{name}`);
  }
  if (name !== null && namespace.naming === 'none') {
    throw new ProtocolError('INVALID_CHANNEL', `channel "${nsName}" takes no name`);
  }
  if (name !== null && !NAME.test(name)) {
    throw new ProtocolError(
      'INVALID_CHANNEL',
      `channel name "${clip(name)}" must be 1-128 characters of A-Z a-z 0-9 _ - . @ =`,
    );
  }
  return { id: input, namespace, name };
}

/**
 * The channel of a user: `user:{sub}`. Identity providers' subjects are not all channel names (Auth0's
 * `auth0|5f7c…`, emails with `+`): every byte outside the name alphabet, and `=` itself, is written as `=XX`
 * (hex of its UTF-8 byte), so `auth0|123` has the channel `user:auth0=7C123`. Subjects that are channel
 * names already (UUIDs, Keycloak and Cognito ids) are their own name.
 */
export function userChannel(sub: string): string {
  let name = '';
  for (const byte of new TextEncoder().encode(sub)) {
    const c = String.fromCharCode(byte);
    name += /[A-Za-z0-9_\-.@]/.test(c) ? c : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return `user:${name}`;
}

const clip = (s: string): string => (s.length > 80 ? `${s.slice(0, 77)}...` : s);

/** What a channel's audience rule needs beyond the principal: chat membership lives in the table. */
export interface AccessLookups {
  isChatParticipant(chatId: string, userId: string): Promise<boolean>;
}

/**
 * May `principal` subscribe to `channel` (and read its history and presence)? Resolves when allowed;
 * throws UNAUTHORIZED for an anonymous principal where a token is needed, FORBIDDEN otherwise.
 */
export async function authorizeSubscribe(
  principal: Principal,
  channel: Channel,
  lookups: AccessLookups,
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
        : await lookups.isChatParticipant(name, principal.sub);
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
  lookups: AccessLookups,
): Promise<void> {
  if (!channel.namespace.clientPublish) {
    throw new ProtocolError('FORBIDDEN', `clients cannot publish to "${channel.namespace.name}" channels`);
  }
  await authorizeSubscribe(principal, channel, lookups);
}
