import type { $ZodType } from 'zod/v4/core';
import { frameTypes, ROUTE_SELECTION_EXPRESSION, webSocketRoutes } from '../shared/app/routes';
import { type Audience, type NamespaceDefinition, userNamespace } from '../shared/core/channels';
import { errorCodes } from '../shared/core/errors';
import { featureNamespaces, type NamespaceName } from '../shared/features/manifests';
import { clientFrames, type TypelessField, typelessFrames } from './client-frames';
import { codeSchema, WEBSOCKET_CODES } from './errors';
import { type JsonSchema, jsonSchemaOf } from './json-schema';
import {
  type EventFrameType,
  errorFrame,
  eventFrames,
  replyFrames,
  serviceEventFrame,
} from './server-frames';

const schemaOf = (s: $ZodType) => jsonSchemaOf(s, 'draft-7');

/**
 * The events each namespace's subscribers get (PROTOCOL.md section 4), besides `publication` where clients
 * may publish and services' own events (POST /v1/publish) anywhere. A Record of every namespace: one added
 * to a manifest does not compile until its events are listed.
 */
export const namespaceEvents: Record<NamespaceName, readonly EventFrameType[]> = {
  user: ['notification'],
  room: ['chat_message', 'notification', 'api_message', 'location_update'],
  chat: ['message'],
  org: ['event'],
  counter: ['counter_update', 'user_count_update'],
  sensors: ['sensor_data_update', 'device_status'],
  device: ['sensor_data_update', 'device_status', 'location_update'],
  sensor: ['sensor_data_update'],
  live: ['live_stats'],
};

const AUDIENCE: Record<Audience, string> = {
  anyone: 'anyone, anonymous connections too',
  self: 'only the user whose token `sub` is the name (subscribed automatically)',
  members: "members of the organisation (the token's organisations claim)",
  participants: "the chat's participants",
};

const SOCKET = 'socket';
const msg = (channel: string, name: string) => ({ $ref: `#/channels/${channel}/messages/${name}` });
const component = (name: string) => ({ $ref: `#/components/messages/${name}` });

/** Message names: `client.{type}`, `client.untyped.{field}`, `server.{type}`. */
const clientName = (type: string) => `client.${type}`;
const untypedName = (field: string) => `client.untyped.${field}`;
const serverName = (type: string) => `server.${type}`;

function history(ns: NamespaceDefinition): string {
  const h = ns.history;
  if (!h) return 'none';
  const keep = h.keep === null ? 'all' : `the last ${h.keep}`;
  const ttl = h.ttlSeconds === null ? 'kept' : `for ${h.ttlSeconds / 3600} h`;
  return `${keep}, ${ttl}`;
}

function namespaceChannel(ns: NamespaceDefinition, events: readonly string[]): JsonSchema {
  const address = ns.naming === 'none' ? ns.name : `${ns.name}:{name}`;
  return {
    address,
    title: `${ns.name} channels`,
    description: [
      `A channel of the \`${ns.name}\` namespace${ns.naming === 'optional' ? ` (\`${ns.name}\` alone, or \`${ns.name}:{name}\`)` : ''}, multiplexed over the one WebSocket: join it with a \`subscribe\` frame (or \`?channels=\` at connect).`,
      `Who may subscribe: ${AUDIENCE[ns.audience]}.`,
      `Clients publish with \`publish\`: ${ns.clientPublish ? (ns.publishRequiresSubscription ? 'yes, once subscribed' : 'yes') : 'no'}.`,
      `History (recovery with \`since\`, GET /v1/channels/{channel}/history): ${history(ns)}.`,
    ].join(' '),
    ...(ns.naming === 'none'
      ? {}
      : { parameters: { name: { description: '1-128 characters of A-Z a-z 0-9 _ - . @ =' } } }),
    messages: Object.fromEntries(events.map((e) => [serverName(e), component(serverName(e))])),
  };
}

const handshake = {
  query: {
    type: 'object',
    properties: {
      token: {
        type: 'string',
        description: 'A JWT (browsers cannot set headers); `Authorization: Bearer` works too',
      },
      channels: {
        type: 'string',
        description: 'Comma-separated channels to subscribe to at connect, e.g. `room:general,sensors`',
      },
      dialect: {
        type: 'string',
        description:
          "Set by the seed paths (`seed001.chat` …, docs/migration.md): the connection speaks that seed's frames (PROTOCOL.md section 8; this document describes the native ones); grants nothing; an unknown one is refused 400",
      },
    },
  },
  headers: {
    type: 'object',
    properties: {
      Authorization: { type: 'string', description: '`Bearer <jwt>`, instead of `?token=`' },
      Origin: { type: 'string', description: 'Checked against the allow-list (403 when not in it)' },
      'Sec-WebSocket-Protocol': { type: 'string', description: 'The first offered sub-protocol is echoed' },
    },
  },
};

/** How `$connect` refuses (no socket opens, no connection is stored): an HTTP status, never a close code. */
export const handshakeRefusals = [
  {
    status: 400,
    code: 'INVALID_CHANNEL',
    when: 'a malformed channel in `channels`, more channels than allowed (INVALID_MESSAGE), or an unknown `dialect`',
  },
  {
    status: 401,
    code: 'UNAUTHORIZED',
    when: 'a bad token (signature, expiry, issuer, audience, algorithm), or none where anonymous access is off',
  },
  {
    status: 403,
    code: 'FORBIDDEN',
    when: 'a token that may not have a channel of `channels`, or an Origin not in the allow-list',
  },
  { status: 429, code: 'TOO_MANY_CONNECTIONS', when: "the user's connection limit is reached" },
] as const;

/**
 * The AsyncAPI 3.0 document of the WebSocket API: the route table's frame types with the schemas their
 * handlers validate with, the server's frames, the namespaces of the channel registry, the error codes.
 * It describes the server: it receives the client frames and sends the rest.
 */
export function asyncApiDocument(version: string): JsonSchema {
  const namespaces = [userNamespace, ...featureNamespaces];
  const messages: Record<string, JsonSchema> = {};
  const describe = (name: string, title: string, summary: string, payload: JsonSchema) => {
    messages[name] = { name, title, summary, payload };
  };

  const typed = frameTypes.map((type) => [type, clientFrames[type]] as const);
  const untyped = Object.entries(typelessFrames) as [TypelessField, (typeof typelessFrames)[TypelessField]][];
  for (const [type, doc] of typed) describe(clientName(type), type, doc.summary, schemaOf(doc.schema));
  for (const [field, doc] of untyped) {
    describe(untypedName(field), `{"${field}": …}`, doc.summary, schemaOf(doc.schema));
  }
  for (const [type, schema] of Object.entries(replyFrames)) {
    describe(serverName(type), type, `Answers the client's own frame`, schemaOf(schema));
  }
  const error = schemaOf(errorFrame);
  (error.properties as Record<string, JsonSchema>).code = codeSchema(WEBSOCKET_CODES);
  describe(
    serverName('error'),
    'error',
    'A frame that failed: nothing else happened, the connection stays open',
    error,
  );
  for (const [type, schema] of Object.entries(eventFrames)) {
    describe(serverName(type), type, `An event of a channel`, schemaOf(schema));
  }
  describe(
    serverName('service_event'),
    'a service event',
    "A service's own event (POST /v1/publish, the server library): its `type`, the fields of its `data` spread beside the envelope",
    schemaOf(serviceEventFrame),
  );

  const socketMessages = Object.fromEntries(Object.keys(messages).map((name) => [name, component(name)]));
  const channels: Record<string, JsonSchema> = {
    [SOCKET]: {
      address: null,
      title: 'The WebSocket connection',
      description: [
        `One connection carries every frame, JSON text both ways. API Gateway routes a client frame by \`${ROUTE_SELECTION_EXPRESSION}\`: ${webSocketRoutes.map((r) => `\`${r.routeKey}\``).join(', ')}.`,
        'The server says nothing first (except to a connection of a seed dialect): send `hello`. A frame that is not JSON, not an object, or not valid for its type gets an `error` frame; the connection stays open. A frame over 32 KB or a message over 128 KB closes it with 1009, a binary frame with 1003. Idle timeout 10 minutes, lifetime 2 hours.',
        `The handshake is refused with an HTTP status (no socket opens): ${handshakeRefusals.map((r) => `${r.status} ${r.code} (${r.when})`).join('; ')}.`,
      ].join('\n\n'),
      messages: socketMessages,
      bindings: { ws: { method: 'GET', ...handshake, bindingVersion: '0.1.0' } },
      'x-handshake-refusals': handshakeRefusals,
    },
  };
  const withPublication = (ns: NamespaceDefinition) => [
    ...namespaceEvents[ns.name as NamespaceName],
    ...(ns.clientPublish ? ['publication'] : []),
    'service_event',
  ];
  for (const ns of namespaces) channels[ns.name] = namespaceChannel(ns, withPublication(ns));

  const operations: Record<string, JsonSchema> = {};
  const receive = (name: string, type: string, replies: readonly string[], summary: string) => {
    operations[`receive.${name}`] = {
      action: 'receive',
      channel: { $ref: `#/channels/${SOCKET}` },
      summary,
      messages: [msg(SOCKET, name)],
      reply: {
        channel: { $ref: `#/channels/${SOCKET}` },
        messages: [...replies, 'error'].map((r) => msg(SOCKET, serverName(r))),
      },
      'x-frame-type': type,
    };
  };
  for (const [type, doc] of typed) receive(clientName(type), type, doc.replies, doc.summary);
  for (const [field, doc] of untyped)
    receive(untypedName(field), `(none: has \`${field}\`)`, doc.replies, doc.summary);
  for (const ns of namespaces) {
    operations[`send.${ns.name}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${ns.name}` },
      summary: `Events to the subscribers of ${ns.name} channels`,
      messages: withPublication(ns).map((e) => msg(ns.name, serverName(e))),
    };
  }

  return {
    asyncapi: '3.0.0',
    id: 'urn:switchboard:websocket',
    info: {
      title: 'Switchboard WebSocket API',
      version,
      description:
        'Realtime channels over one WebSocket (docs/PROTOCOL.md sections 2-4, 7). Generated by `npm run contract` from the route table, the channel registry and the schemas the handlers validate with.',
    },
    defaultContentType: 'application/json',
    servers: {
      aws: {
        host: '{wsApiId}.execute-api.{region}.amazonaws.com',
        pathname: '/{stage}',
        protocol: 'wss',
        description: 'AWS (the stack output WebSocketUrl)',
        variables: {
          wsApiId: { default: 'abc123' },
          region: { default: 'eu-west-1' },
          stage: { default: 'prod' },
        },
      },
      local: {
        host: 'localhost:{port}',
        pathname: '/local',
        protocol: 'ws',
        description: 'The local stack (npm start)',
        variables: { port: { default: '8080' } },
      },
    },
    channels,
    operations,
    components: {
      messages,
      schemas: { ErrorCode: codeSchema(Object.keys(errorCodes) as (keyof typeof errorCodes)[]) },
    },
  };
}
