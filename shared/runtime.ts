import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { monotonicFactory } from 'ulid';
import { DynamoChatStore } from './adapters/dynamo/chat-store';
import { createDocumentClient } from './adapters/dynamo/client';
import { DynamoConnectionStore } from './adapters/dynamo/connection-store';
import { DynamoCounterStore } from './adapters/dynamo/counter-store';
import { DynamoIotStore } from './adapters/dynamo/iot-store';
import { DynamoLivePushStore } from './adapters/dynamo/live-push-store';
import { DynamoMessageStore } from './adapters/dynamo/message-store';
import { ManagementApiGateway, type StaticCredentials } from './adapters/gateway';
import { createTokenVerifier } from './auth/jwt';
import { type Env, loadConfig } from './config';
import type { Deps } from './domain/context';
import { channelHooks } from './features';
import { type Ids, type Log, systemClock } from './ports';

/**
 * Where a handler's configuration comes from. In Lambda that is `process.env`. The local stack runs the
 * same handler modules in one process, possibly several stacks at once (tests), so it runs each invocation
 * inside `runWithEnv(itsEnv, …)`, and every handler sees its own stack's configuration.
 */
const envStorage = new AsyncLocalStorage<Env>();

export const runWithEnv = <T>(env: Env, fn: () => T): T => envStorage.run(env, fn);
export const currentEnv = (): Env => envStorage.getStore() ?? process.env;

interface Runtime {
  deps: Omit<Deps, 'gateway'>;
  gateways: Map<string, ManagementApiGateway>;
  credentials: StaticCredentials | undefined;
  db: DynamoDBDocumentClient;
}

// Built on first use and kept for the container's life (or the local stack's): clients, key sets and
// their caches outlive single invocations. A WeakMap, so a stopped local stack's runtime can be collected.
const runtimes = new WeakMap<Env, Runtime>();
/** Credentials given in code (the server library's option) rather than found by the SDK's default chain. */
const explicitCredentials = new WeakMap<Env, StaticCredentials>();

function runtimeFor(env: Env): Runtime {
  let rt = runtimes.get(env);
  if (rt) return rt;
  const config = loadConfig(env);
  const local = env.LOCAL_STACK === 'true';
  const given = explicitCredentials.get(env);
  const credentials =
    given ??
    (local
      ? {
          accessKeyId: env.LOCAL_ACCESS_KEY_ID ?? 'local',
          secretAccessKey: env.LOCAL_SECRET_ACCESS_KEY ?? 'local',
        }
      : undefined);
  const db = createDocumentClient({
    region: config.region,
    endpoint: config.dynamodbEndpoint,
    ...(given ? { credentials: given } : {}),
  });
  const clock = systemClock;
  const logger = new Logger({
    serviceName: 'switchboard',
    logLevel: (env.LOG_LEVEL ?? (local ? 'WARN' : 'INFO')) as 'INFO',
  });
  const log: Log = {
    debug: (m, e) => logger.debug(m, e ?? {}),
    info: (m, e) => logger.info(m, e ?? {}),
    warn: (m, e) => logger.warn(m, e ?? {}),
    error: (m, e) => logger.error(m, e ?? {}),
  };
  const ulid = monotonicFactory();
  const ids: Ids = { next: () => ulid() };
  rt = {
    deps: {
      config,
      connections: new DynamoConnectionStore(db, config.tableName, clock),
      messages: new DynamoMessageStore(db, config.tableName, clock),
      chats: new DynamoChatStore(db, config.tableName, clock),
      iot: new DynamoIotStore(db, config.tableName, clock),
      counters: new DynamoCounterStore(db, config.tableName),
      livePush: new DynamoLivePushStore(db, config.tableName),
      verifier: createTokenVerifier(config.auth),
      clock,
      ids,
      log,
      hooks: channelHooks,
    },
    gateways: new Map(),
    credentials,
    db,
  };
  runtimes.set(env, rt);
  return rt;
}

/**
 * The dependencies of one invocation. The Management API endpoint is the stack's WS_CALLBACK_URL, else the
 * one a WebSocket event names (`https://{domainName}/{stage}`): one gateway per endpoint, never a shared
 * client re-pointed between invocations.
 */
export function getDeps(eventEndpoint?: string): Deps {
  const rt = runtimeFor(currentEnv());
  const endpoint = rt.deps.config.callbackUrl ?? eventEndpoint;
  return { ...rt.deps, gateway: endpoint ? gatewayFor(rt, endpoint) : missingGateway };
}

function gatewayFor(rt: Runtime, endpoint: string): ManagementApiGateway {
  let gw = rt.gateways.get(endpoint);
  if (!gw) {
    gw = new ManagementApiGateway({
      endpoint,
      region: rt.deps.config.region,
      fastPost: rt.deps.config.fanOut.fastPost,
      ...(rt.credentials ? { credentials: rt.credentials } : {}),
    });
    rt.gateways.set(endpoint, gw);
  }
  return gw;
}

/**
 * Credentials for an SDK client a handler builds itself: the local stack's dummy ones (so the SDK never
 * searches for real ones), none in AWS (the function's role, through the default chain).
 */
export const sdkCredentials = (): StaticCredentials | undefined => runtimeFor(currentEnv()).credentials;

const missingGateway: Deps['gateway'] = {
  post: () => Promise.reject(new Error('WS_CALLBACK_URL is not configured')),
  close: () => Promise.reject(new Error('WS_CALLBACK_URL is not configured')),
  info: () => Promise.reject(new Error('WS_CALLBACK_URL is not configured')),
};

/**
 * The dependencies for code that is not a handler (the server library, server/index.ts): built exactly as
 * a Lambda's are, from an environment of its own, optionally with explicit credentials.
 */
export function depsForEnv(env: Env, credentials?: StaticCredentials): Deps {
  if (credentials && !runtimes.has(env)) explicitCredentials.set(env, credentials);
  return runWithEnv(env, () => getDeps());
}

/** Releases the sockets of a runtime (the local stack calls this when it stops; so does the server library). */
export function disposeRuntime(env: Env): void {
  const rt = runtimes.get(env);
  if (!rt) return;
  for (const gw of rt.gateways.values()) gw.destroy();
  rt.db.destroy();
  runtimes.delete(env);
}
