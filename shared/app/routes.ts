import type * as z from 'zod/mini';
import { SCOPE_ADMIN, SCOPE_PUBLISH } from '../core/auth/principal';
import { SESSION_FRAME_TYPES } from '../core/session/manifest';
import { type FrameType, featureFrameTypes } from '../features/manifests';
import type { envSchema } from './config';

/**
 * The one route table. infra/ creates a Lambda per entry of `lambdas`, and the WebSocket routes, HTTP
 * routes, schedules and queue triggers below from these lists; local/ mounts the very same handler modules from them.
 * A route added here exists in both places; nothing is listed anywhere else. The WebSocket frame routes
 * are not listed at all: they are every frame type of the session and of the features' manifests.
 *
 * Pure data: infra imports it without pulling in the handlers, zod or the AWS SDK (the architecture test
 * checks what it loads).
 */

export interface LambdaSpec {
  /** The handler module, relative to the project root; it exports `handler` and `makeHandler(runtime)`. */
  entry: string;
  description: string;
  memoryMb: number;
  timeoutSeconds: number;
  /**
   * Least privilege: what the function may do to the table, whether it calls the Management API, and
   * whether it delivers, and so may hand an audience too large for it to the fan-out queue.
   */
  access: { table: 'none' | 'read' | 'readwrite'; manageConnections: boolean; fanOutQueue: boolean };
}

const RW_POST = { table: 'readwrite', manageConnections: true, fanOutQueue: true } as const;
const READ_ONLY = { table: 'read', manageConnections: false, fanOutQueue: false } as const;

export const lambdas = {
  'ws-authorizer': {
    entry: 'lambdas/ws-authorizer.ts',
    description: '$connect REQUEST authorizer: verifies the JWT and Origin',
    memoryMb: 256,
    timeoutSeconds: 10,
    access: { table: 'none', manageConnections: false, fanOutQueue: false },
  },
  'ws-connect': {
    entry: 'lambdas/ws-connect.ts',
    description: '$connect: stores the connection, subscribes ?channels= and user:{sub}',
    memoryMb: 256,
    timeoutSeconds: 10,
    // It asks the Management API whether a connection is still there, and delivers nothing: what a join
    // at connect causes is after-connect's.
    access: { table: 'readwrite', manageConnections: true, fanOutQueue: false },
  },
  'after-connect': {
    entry: 'lambdas/after-connect.ts',
    description:
      'After $connect (asynchronous Invoke): join notices to the others, welcome frames to the new connection',
    memoryMb: 256,
    // Notices to a large channel (a counter's user_count_update reaches every watcher) take a while.
    timeoutSeconds: 29,
    access: RW_POST,
  },
  'ws-disconnect': {
    entry: 'lambdas/ws-disconnect.ts',
    description: '$disconnect: removes the connection and its subscriptions',
    memoryMb: 256,
    timeoutSeconds: 10,
    access: RW_POST,
  },
  'ws-message': {
    entry: 'lambdas/ws-message.ts',
    description: 'Client frames: hello, ping, subscribe, unsubscribe, publish, ...',
    memoryMb: 512,
    timeoutSeconds: 29,
    access: RW_POST,
  },
  'http-publish': {
    entry: 'lambdas/http-publish.ts',
    description: 'Server-to-server publishing over HTTP',
    memoryMb: 512,
    timeoutSeconds: 29,
    access: RW_POST,
  },
  'http-channels': {
    entry: 'lambdas/http-channels.ts',
    description: 'Channel history and presence',
    memoryMb: 256,
    timeoutSeconds: 10,
    access: { table: 'read', manageConnections: false, fanOutQueue: false },
  },
  'http-chats': {
    entry: 'lambdas/http-chats.ts',
    description: 'Private chats: create, participants, messages (REST sends are broadcast)',
    memoryMb: 512,
    timeoutSeconds: 29,
    access: RW_POST,
  },
  'http-iot': {
    entry: 'lambdas/http-iot.ts',
    description: 'Device and sensor registry, sensor readings: ingest, fan-out, queries',
    memoryMb: 512,
    timeoutSeconds: 29,
    access: RW_POST,
  },
  'http-orgs': {
    entry: 'lambdas/http-orgs.ts',
    description: 'Organisation events',
    memoryMb: 256,
    timeoutSeconds: 29,
    access: RW_POST,
  },
  'http-health': {
    entry: 'lambdas/http-health.ts',
    description: 'Health check',
    memoryMb: 128,
    timeoutSeconds: 5,
    access: { table: 'none', manageConnections: false, fanOutQueue: false },
  },
  'http-rooms': {
    entry: 'lambdas/http-rooms.ts',
    description: 'REST push into rooms and devices: room messages, locations',
    memoryMb: 512,
    timeoutSeconds: 29,
    access: RW_POST,
  },
  'http-notifications': {
    entry: 'lambdas/http-notifications.ts',
    description: 'User notifications',
    memoryMb: 256,
    timeoutSeconds: 29,
    access: RW_POST,
  },
  'http-counters': {
    entry: 'lambdas/http-counters.ts',
    description: 'Read and change counters',
    memoryMb: 256,
    timeoutSeconds: 29,
    access: RW_POST,
  },
  'http-live-push': {
    entry: 'lambdas/http-live-push.ts',
    description: 'Live stats push: status, start (starts a live-stats run at once), stop',
    memoryMb: 256,
    timeoutSeconds: 10,
    // Writes the config only; the live-stats Lambda it starts does the posting.
    access: { table: 'readwrite', manageConnections: false, fanOutQueue: false },
  },
  'http-stats': {
    entry: 'lambdas/http-stats.ts',
    description: 'Connection, channel and user totals',
    memoryMb: 128,
    timeoutSeconds: 5,
    access: READ_ONLY,
  },
  'http-connections': {
    entry: 'lambdas/http-connections.ts',
    description: 'Admin: close a connection',
    memoryMb: 256,
    timeoutSeconds: 10,
    access: RW_POST,
  },
  'live-stats': {
    entry: 'lambdas/live-stats.ts',
    description: 'Publishes live_stats every interval while the live push is on, for a minute per run',
    memoryMb: 256,
    // A run covers a minute (RUN_WINDOW_MS) plus its last push; it ends itself before this.
    timeoutSeconds: 90,
    access: RW_POST,
  },
  'fan-out-worker': {
    entry: 'lambdas/fan-out-worker.ts',
    description:
      'Fan-out worker: delivers audiences too large for the publisher, paced to the Management API quota',
    memoryMb: 512,
    // It stops posting 10 s before this and passes what is left on (shared/app/queue.ts).
    timeoutSeconds: 60,
    access: RW_POST,
  },
} as const satisfies Record<string, LambdaSpec>;

export type LambdaName = keyof typeof lambdas;

export interface WebSocketRoute {
  /** `$connect`, `$disconnect`, `$default`, or a value of the frame's `type` (route selection: `$request.body.type`). */
  routeKey: string;
  lambda: LambdaName;
  /** The $connect REQUEST authorizer. */
  authorizer?: LambdaName;
  /** Send the handler's `body` back to the client as the route response (saves a Management API call). */
  returnResponse?: boolean;
}

export const ROUTE_SELECTION_EXPRESSION = '$request.body.type';

const frameRoute = (routeKey: '$default' | FrameType): WebSocketRoute => ({
  routeKey,
  lambda: 'ws-message',
  returnResponse: true,
});

/** Every frame type a client may send: a route each, so API Gateway hands each to ws-message by name. */
export const frameTypes: readonly FrameType[] = [...SESSION_FRAME_TYPES, ...featureFrameTypes];

export const webSocketRoutes: readonly WebSocketRoute[] = [
  { routeKey: '$connect', lambda: 'ws-connect', authorizer: 'ws-authorizer' },
  { routeKey: '$disconnect', lambda: 'ws-disconnect' },
  // Frames without a `type`, with an unknown one, or not JSON at all land here.
  frameRoute('$default'),
  ...frameTypes.map(frameRoute),
];

/**
 * `none`: no token looked at. `optional`: a token, when sent, is verified by the handler (API Gateway's JWT
 * authorizer cannot be optional), and one that does not verify is 401; anonymous otherwise. `jwt`: API
 * Gateway's JWT authorizer, with `scopes` (any one of them) when given; the handler reads the caller from
 * the token, verified again (shared/app/http.ts), not from the authorizer's flattened claims.
 */
export type HttpAuth = 'none' | 'optional' | 'jwt';

export interface HttpRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** API Gateway path syntax: `{name}` for a path parameter. */
  path: string;
  lambda: LambdaName;
  /** The operation inside the handler module. */
  operation: string;
  auth: HttpAuth;
  scopes?: readonly string[];
  /** Largest request body accepted (the handler enforces it, locally and in AWS alike). */
  maxBodyBytes?: number;
  /**
   * A body field that is the request's idempotency key when no `Idempotency-Key` header is sent
   * (shared/app/http.ts; POST routes take the header in any case).
   */
  idempotencyKeyField?: string;
}

const PUBLISHERS = [SCOPE_PUBLISH, SCOPE_ADMIN] as const;
const ADMINS = [SCOPE_ADMIN] as const;

export const httpRoutes = [
  {
    method: 'POST',
    path: '/v1/publish',
    lambda: 'http-publish',
    operation: 'publish',
    auth: 'jwt',
    scopes: PUBLISHERS,
    maxBodyBytes: 128 * 1024,
    idempotencyKeyField: 'id',
  },
  {
    method: 'GET',
    path: '/v1/channels/{channel}/history',
    lambda: 'http-channels',
    operation: 'history',
    auth: 'optional',
  },
  {
    method: 'GET',
    path: '/v1/channels/{channel}/presence',
    lambda: 'http-channels',
    operation: 'presence',
    auth: 'optional',
  },
  // Chats: any valid token (no scope); participation is checked by the operations.
  { method: 'POST', path: '/v1/chats', lambda: 'http-chats', operation: 'createChat', auth: 'jwt' },
  { method: 'GET', path: '/v1/chats/{id}', lambda: 'http-chats', operation: 'getChat', auth: 'jwt' },
  {
    method: 'POST',
    path: '/v1/chats/{id}/participants',
    lambda: 'http-chats',
    operation: 'addParticipant',
    auth: 'jwt',
  },
  {
    method: 'GET',
    path: '/v1/chats/{id}/messages',
    lambda: 'http-chats',
    operation: 'listMessages',
    auth: 'jwt',
  },
  {
    method: 'POST',
    path: '/v1/chats/{id}/messages',
    lambda: 'http-chats',
    operation: 'sendMessage',
    auth: 'jwt',
  },
  {
    method: 'PUT',
    path: '/v1/devices/{id}',
    lambda: 'http-iot',
    operation: 'putDevice',
    auth: 'jwt',
    scopes: [SCOPE_ADMIN],
  },
  { method: 'GET', path: '/v1/devices/{id}', lambda: 'http-iot', operation: 'getDevice', auth: 'none' },
  {
    method: 'PUT',
    path: '/v1/devices/{id}/status',
    lambda: 'http-iot',
    operation: 'putDeviceStatus',
    auth: 'jwt',
    scopes: PUBLISHERS,
  },
  {
    method: 'PUT',
    path: '/v1/sensors/{id}',
    lambda: 'http-iot',
    operation: 'putSensor',
    auth: 'jwt',
    scopes: [SCOPE_ADMIN],
  },
  { method: 'GET', path: '/v1/sensors/{id}', lambda: 'http-iot', operation: 'getSensor', auth: 'none' },
  {
    method: 'GET',
    path: '/v1/sensors/{id}/readings',
    lambda: 'http-iot',
    operation: 'readings',
    auth: 'none',
  },
  {
    method: 'POST',
    path: '/v1/sensor-data',
    lambda: 'http-iot',
    operation: 'ingest',
    auth: 'jwt',
    scopes: PUBLISHERS,
    // 500 readings with long ids and timestamps fit; the count itself is checked by the handler.
    maxBodyBytes: 256 * 1024,
  },
  // A member of the organisation or a realtime:publish service: checked by the operation (scopes are "any of").
  { method: 'POST', path: '/v1/orgs/{org}/events', lambda: 'http-orgs', operation: 'orgEvent', auth: 'jwt' },
  { method: 'GET', path: '/v1/health', lambda: 'http-health', operation: 'health', auth: 'none' },
  {
    method: 'POST',
    path: '/v1/rooms/{room}/messages',
    lambda: 'http-rooms',
    operation: 'roomMessage',
    auth: 'jwt',
    scopes: PUBLISHERS,
  },
  {
    method: 'POST',
    path: '/v1/locations',
    lambda: 'http-rooms',
    operation: 'location',
    auth: 'jwt',
    scopes: PUBLISHERS,
  },
  // Any valid token: a user may notify itself; the operation checks realtime:publish for anyone else.
  {
    method: 'POST',
    path: '/v1/notifications',
    lambda: 'http-notifications',
    operation: 'notify',
    auth: 'jwt',
  },
  { method: 'GET', path: '/v1/counters/{name}', lambda: 'http-counters', operation: 'read', auth: 'none' },
  {
    method: 'POST',
    path: '/v1/counters/{name}',
    lambda: 'http-counters',
    operation: 'change',
    auth: 'jwt',
    scopes: PUBLISHERS,
  },
  {
    method: 'GET',
    path: '/v1/live-push',
    lambda: 'http-live-push',
    operation: 'status',
    auth: 'jwt',
    scopes: ADMINS,
  },
  {
    method: 'POST',
    path: '/v1/live-push',
    lambda: 'http-live-push',
    operation: 'start',
    auth: 'jwt',
    scopes: ADMINS,
  },
  {
    method: 'DELETE',
    path: '/v1/live-push',
    lambda: 'http-live-push',
    operation: 'stop',
    auth: 'jwt',
    scopes: ADMINS,
  },
  { method: 'GET', path: '/v1/stats', lambda: 'http-stats', operation: 'stats', auth: 'none' },
  {
    method: 'DELETE',
    path: '/v1/connections/{id}',
    lambda: 'http-connections',
    operation: 'close',
    auth: 'jwt',
    scopes: ADMINS,
  },
] as const satisfies readonly HttpRoute[];

export type HttpRouteEntry = (typeof httpRoutes)[number];
/** The operations a handler module must provide: exactly those the table assigns to it. */
export type OperationsOf<L extends LambdaName> = Extract<HttpRouteEntry, { lambda: L }>['operation'];

/**
 * The HTTP API's CORS preflight answer (origins come from ALLOWED_ORIGINS / the allowedOrigins prop, the
 * same list the WebSocket authorizer checks; none means any).
 */
export const httpCors = {
  allowMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
  allowHeaders: ['authorization', 'content-type', 'idempotency-key'],
  maxAgeSeconds: 3600,
} as const;

export const httpRouteKey = (r: Pick<HttpRoute, 'method' | 'path'>): string => `${r.method} ${r.path}`;

export interface Schedule {
  name: string;
  lambda: LambdaName;
  /** EventBridge `rate(n minutes)`. */
  everyMinutes: number;
}

export const schedules: readonly Schedule[] = [
  // Each run pushes for a minute while the live push is on (see shared/features/live-stats/run.ts).
  { name: 'live-stats', lambda: 'live-stats', everyMinutes: 1 },
];

/** An environment variable a handler reads (shared/app/config.ts). */
export type EnvName = keyof z.input<typeof envSchema>;

export interface AsyncInvocation {
  /** The Lambda that starts the other. */
  from: LambdaName;
  /** The Lambda it starts (asynchronous Invoke, InvocationType `Event`). */
  to: LambdaName;
  /** The variable that tells `from` the name of `to`. */
  env: EnvName;
}

/**
 * Lambdas that start other Lambdas. infra/ grants `from` lambda:InvokeFunction on exactly `to` and sets
 * `env` to its name; the local stack sets `env` to the route-table name and answers the Invoke API.
 */
export const asyncInvocations: readonly AsyncInvocation[] = [
  { from: 'http-live-push', to: 'live-stats', env: 'LIVE_STATS_FUNCTION_NAME' },
  // $connect does a constant amount of work and leaves what grows with a channel to this one.
  { from: 'ws-connect', to: 'after-connect', env: 'AFTER_CONNECT_FUNCTION_NAME' },
];

/**
 * A queue whose messages a Lambda consumes through an SQS event source mapping (in AWS), or through the
 * local stack's emulation of one (local/sqs.ts): batches, partial batch failures (the function answers
 * `batchItemFailures`), a maximum concurrency, redelivery after the visibility timeout and, after
 * `maxReceiveCount` receives, the dead-letter queue.
 */
export interface QueueTrigger {
  /** The queue's name: its alarms are `{stack}-{name}-…`; the local queue's URL ends in it. */
  name: string;
  /** What its messages are, for the alarms' descriptions. */
  holds: string;
  /** The Lambda that consumes it. */
  lambda: LambdaName;
  /** Messages per invocation at most (the event source's BatchSize). */
  batchSize: number;
  /** The variable whose value is the event source's maximum concurrency (a stack property). */
  concurrencyEnv: EnvName;
  /**
   * How long a received message stays invisible before it is received again: AWS advises at least six
   * times the function's timeout for an event source's queue.
   */
  visibilityTimeoutSeconds: number;
  /** Receives before a message moves to the dead-letter queue. */
  maxReceiveCount: number;
  /** The oldest message waiting this long raises the queue's age alarm. */
  maxAgeSeconds: number;
  /**
   * The variable that tells a sender the queue's URL. The senders are the Lambdas that deliver
   * (`queueSenders`, `access.fanOutQueue`): only they may send (sqs:SendMessage, nothing else).
   */
  env: EnvName;
}

export const queueTriggers: readonly QueueTrigger[] = [
  {
    name: 'fan-out',
    holds: 'fan-out messages (large audiences)',
    lambda: 'fan-out-worker',
    // One message of 250 connections (CONNECTIONS_PER_MESSAGE) an invocation: a quarter of a second at a
    // worker's default share, so that work spreads over the workers as it is read, and an invocation keeps
    // no more posts waiting for its pacer than one message's (`npm run bench -- scale`: 83–84 % of the
    // quota with 1, 74–79 % with 4; docs/performance.md).
    batchSize: 1,
    concurrencyEnv: 'FANOUT_WORKERS',
    visibilityTimeoutSeconds: 6 * 60,
    maxReceiveCount: 5,
    maxAgeSeconds: 5 * 60,
    env: 'FANOUT_QUEUE_URL',
  },
];

/** Every Lambda the table uses, each once, in a stable order. */
export function usedLambdas(): LambdaName[] {
  const names = new Set<LambdaName>();
  for (const r of webSocketRoutes) {
    names.add(r.lambda);
    if (r.authorizer) names.add(r.authorizer);
  }
  for (const r of httpRoutes) names.add(r.lambda);
  for (const s of schedules) names.add(s.lambda);
  for (const q of queueTriggers) names.add(q.lambda);
  for (const a of asyncInvocations) names.add(a.to);
  return [...names];
}

/** The Lambdas that may send to a trigger's queue: those that deliver (every publisher). */
export const queueSenders = (names: Iterable<LambdaName>): LambdaName[] =>
  [...names].filter((name) => lambdas[name].access.fanOutQueue);
