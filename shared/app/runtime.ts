import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { monotonicFactory } from 'ulid';
import { DynamoChatStore } from '../adapters/dynamo/chat-store';
import { createDocumentClient } from '../adapters/dynamo/client';
import { DynamoConnectionStore } from '../adapters/dynamo/connection-store';
import { DynamoCounterStore } from '../adapters/dynamo/counter-store';
import { DynamoIdempotencyStore } from '../adapters/dynamo/idempotency-store';
import { DynamoIotStore } from '../adapters/dynamo/iot-store';
import { DynamoLivePushStore } from '../adapters/dynamo/live-push-store';
import { DynamoMessageStore } from '../adapters/dynamo/message-store';
import type { StaticCredentials } from '../adapters/management-api/client';
import { ManagementApiGateway } from '../adapters/management-api/gateway';
import { type MetricsBuffer, PowertoolsMetrics } from '../adapters/powertools-metrics';
import { SqsFanOutQueue } from '../adapters/sqs/fan-out-queue';
import { createTokenVerifier, type TokenVerifier } from '../core/auth/jwt';
import {
  type ChannelAccess,
  type ChannelRegistry,
  createChannelRegistry,
  userNamespace,
} from '../core/channels';
import type { ParticipantCheck } from '../core/feature';
import type {
  Clock,
  ConnectionStore,
  FanOutQueue,
  Gateway,
  IdempotencyStore,
  Ids,
  Log,
  MessageStore,
} from '../core/ports';
import { noMetrics, systemClock } from '../core/ports';
import type { ChannelHookRegistry, ChannelHooks } from '../core/session/hooks';
import { features } from '../features';
import type { ChatStore } from '../features/chat/store';
import type { CounterStore } from '../features/counters/store';
import { RegistryCache } from '../features/iot/registry-cache';
import type { IotStore } from '../features/iot/store';
import type { LivePushStore } from '../features/live-stats/store';
import { featureNamespaces } from '../features/manifests';
import { type Config, type Env, loadConfig } from './config';

/**
 * Everything a handler is made from: the configuration, the stores, the Management API gateway, the token
 * verifier, the caches, and what the features add (their hooks, who the participants of a channel are).
 * Built once per container (a Lambda's handler builds it on its first event, lambdas/*.ts), once per local
 * stack (local/index.ts), once per server library instance (server/index.ts), or by a test, with fakes.
 * Functions never take the runtime whole: each declares the slice it uses.
 */
export interface Runtime extends Stores {
  readonly config: Config;
  readonly verifier: TokenVerifier;
  readonly clock: Clock;
  readonly ids: Ids;
  readonly log: Log;
  /** Switchboard's own metrics; whoever runs the handler flushes them after each invocation. */
  readonly metrics: MetricsBuffer;
  /** Every namespace: the protocol's `user` and the features'. */
  readonly channels: ChannelRegistry;
  /** The IoT registry lookups of this container. */
  readonly iotRegistry: RegistryCache;
  /** The Management API of WS_CALLBACK_URL (or of forEndpoint's endpoint). */
  readonly gateway: Gateway;
  /** The fan-out workers' queue (FANOUT_QUEUE_URL); none: every audience is posted to in-process. */
  readonly fanOutQueue: FanOutQueue | undefined;
  readonly hooks: ChannelHookRegistry;
  readonly access: ChannelAccess;
  /** For an SDK client a handler builds itself: the local stack's credentials; none in AWS (the role's). */
  readonly credentials: StaticCredentials | undefined;
  /**
   * The runtime that posts through the Management API at `endpoint` (a WebSocket event's own stage). Where
   * WS_CALLBACK_URL is set, which the stack always does, it wins and this is the runtime itself.
   */
  forEndpoint(endpoint: string): Runtime;
  /** Closes the sockets of its clients (a stopping local stack, a server library that is done). */
  dispose(): void;
}

export interface Stores {
  readonly connections: ConnectionStore;
  readonly messages: MessageStore;
  readonly idempotency: IdempotencyStore;
  readonly chats: ChatStore;
  readonly iot: IotStore;
  readonly counters: CounterStore;
  readonly livePush: LivePushStore;
}

/** What a caller may give instead of what the environment says: credentials, or fakes (tests). */
export interface RuntimeOverrides extends Partial<Stores> {
  /** Credentials for DynamoDB and the Management API instead of the SDK's default chain. */
  credentials?: StaticCredentials;
  /** One gateway for every endpoint, instead of the Management API. */
  gateway?: Gateway;
  /** A queue instead of FANOUT_QUEUE_URL's. */
  fanOutQueue?: FanOutQueue;
  verifier?: TokenVerifier;
  clock?: Clock;
  ids?: Ids;
  log?: Log;
  /** Metrics of another kind (a test's recorder, none at all) instead of Powertools'. */
  metrics?: MetricsBuffer;
  /** Where Powertools' EMF documents go instead of stdout (the local stack collects them). */
  metricsSink?: (document: string) => void;
}

/** The one function that builds a runtime from an environment. Configuration errors throw here. */
export function createRuntime(env: Env, overrides: RuntimeOverrides = {}): Runtime {
  const config = loadConfig(env);
  const credentials = overrides.credentials ?? config.localCredentials;
  const clock = overrides.clock ?? systemClock;
  // The table's client only when a store needs it: a runtime of fakes opens no socket.
  let db: DynamoDBDocumentClient | undefined;
  const table = (): DynamoDBDocumentClient =>
    (db ??= createDocumentClient({
      region: config.region,
      endpoint: config.dynamodbEndpoint,
      ...(credentials ? { credentials } : {}),
    }));
  const iot = overrides.iot ?? new DynamoIotStore(table(), config.tableName, clock);
  const { queueUrl } = config.fanOut;
  const sqs =
    overrides.fanOutQueue === undefined && queueUrl !== undefined
      ? new SqsFanOutQueue({ queueUrl, region: config.region, ...(credentials ? { credentials } : {}) })
      : undefined;
  const services = {
    config,
    connections: overrides.connections ?? new DynamoConnectionStore(table(), config.tableName, clock),
    messages: overrides.messages ?? new DynamoMessageStore(table(), config.tableName, clock),
    idempotency: overrides.idempotency ?? new DynamoIdempotencyStore(table(), config.tableName),
    chats: overrides.chats ?? new DynamoChatStore(table(), config.tableName, clock),
    iot,
    counters: overrides.counters ?? new DynamoCounterStore(table(), config.tableName),
    livePush: overrides.livePush ?? new DynamoLivePushStore(table(), config.tableName),
    verifier: overrides.verifier ?? createTokenVerifier(config.auth),
    clock,
    ids: overrides.ids ?? ulidIds(),
    log: overrides.log ?? powertoolsLog(config.logLevel),
    metrics:
      overrides.metrics ??
      new PowertoolsMetrics({ service: config.metricsService, sink: overrides.metricsSink }),
    channels: createChannelRegistry([userNamespace, ...featureNamespaces]),
    iotRegistry: new RegistryCache(iot, clock),
    fanOutQueue: overrides.fanOutQueue ?? sqs,
    credentials,
  };

  const gateways = new Map<string, ManagementApiGateway>();
  const gatewayAt = (endpoint: string): Gateway => {
    if (overrides.gateway) return overrides.gateway;
    let gateway = gateways.get(endpoint);
    if (!gateway) {
      gateway = new ManagementApiGateway({
        endpoint,
        region: config.region,
        fastPost: config.fanOut.fastPost,
        ...(credentials ? { credentials } : {}),
      });
      gateways.set(endpoint, gateway);
    }
    return gateway;
  };

  // One runtime per Management API endpoint, never a shared client re-pointed between invocations.
  const stages = new Map<string, Runtime>();
  const stage = (gateway: Gateway): Runtime => {
    const base = { ...services, gateway };
    return {
      ...base,
      hooks: composeHooks(base),
      access: composeAccess(base),
      forEndpoint,
      dispose,
    };
  };
  const root = stage(
    config.callbackUrl ? gatewayAt(config.callbackUrl) : (overrides.gateway ?? missingGateway),
  );
  function forEndpoint(endpoint: string): Runtime {
    if (config.callbackUrl || overrides.gateway) return root;
    let rt = stages.get(endpoint);
    if (!rt) {
      rt = stage(gatewayAt(endpoint));
      stages.set(endpoint, rt);
    }
    return rt;
  }
  function dispose(): void {
    for (const gateway of gateways.values()) gateway.destroy();
    gateways.clear();
    sqs?.destroy();
    db?.destroy();
  }
  return root;
}

type FeatureBase = Omit<Runtime, 'hooks' | 'access' | 'forEndpoint' | 'dispose'>;

/** Each namespace's hooks, from its feature (made before the runtime has hooks: they must not need them). */
function composeHooks(base: FeatureBase): ChannelHookRegistry {
  const hooks: Record<string, ChannelHooks | undefined> = {};
  for (const feature of Object.values(features)) Object.assign(hooks, feature.hooks?.(base));
  return hooks;
}

/** Who the participants of a `participants` namespace are: its feature says. */
function composeAccess(base: FeatureBase): ChannelAccess {
  const checks: Record<string, ParticipantCheck | undefined> = {};
  for (const feature of Object.values(features)) Object.assign(checks, feature.participants?.(base));
  for (const ns of base.channels.namespaces) {
    if (ns.audience === 'participants' && !checks[ns.name]) {
      throw new Error(
        `namespace "${ns.name}" has the participants audience, but no feature says who they are`,
      );
    }
  }
  return {
    isParticipant: (channel, userId) =>
      checks[channel.namespace.name]?.(channel, userId) ?? Promise.resolve(false),
  };
}

/**
 * No metrics: for a runtime outside the Lambda handlers (the server library), which runs in another
 * program's process and has no invocation whose end would write them.
 */
export const discardMetrics: MetricsBuffer = { ...noMetrics, flush() {} };

const missing = () => Promise.reject(new Error('WS_CALLBACK_URL is not configured'));
const missingGateway: Gateway = { post: missing, close: missing, info: missing };

function ulidIds(): Ids {
  const ulid = monotonicFactory();
  return { next: () => ulid() };
}

function powertoolsLog(level: Config['logLevel']): Log {
  const logger = new Logger({ serviceName: 'switchboard', logLevel: level });
  return {
    debug: (m, e) => logger.debug(m, e ?? {}),
    info: (m, e) => logger.info(m, e ?? {}),
    warn: (m, e) => logger.warn(m, e ?? {}),
    error: (m, e) => logger.error(m, e ?? {}),
  };
}
