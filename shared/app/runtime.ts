import { ManagementApiGateway } from '../adapters/management-api/gateway';
import type { DialectRegistry } from '../core/dialect';
import type { FanOutQueue, Gateway } from '../core/ports';
import type { ChannelHookRegistry, ChannelHooks } from '../core/session/hooks';
import { features } from '../features';
import type { Config, Env } from './config';
import { dialects } from './dialects';
import { createTableRuntime, type TableOverrides, type TableRuntime } from './table-runtime';

export { type BaseOverrides, type BaseRuntime, discardMetrics } from './base-runtime';
export type { Stores, TableOverrides, TableRuntime } from './table-runtime';

/**
 * Everything a handler is made from: the configuration, the stores, the Management API gateway, the token
 * verifier, the caches, and what the features add (their hooks, who the participants of a channel are).
 * Built once per container (a Lambda's handler builds it on its first event, lambdas/*.ts), once per local
 * stack (local/index.ts), once per server library instance (server/index.ts), or by a test, with fakes.
 * Functions never take the runtime whole: each declares the slice it uses. A Lambda that reaches less
 * takes a narrower runtime (./table-runtime.ts, ./base-runtime.ts, ./authorizer.ts): this one is the table
 * runtime plus the Management API, and the fan-out queue for the functions that deliver (./publisher-runtime.ts).
 */
export interface Runtime extends TableRuntime {
  /** The Management API of WS_CALLBACK_URL (or of forEndpoint's endpoint). */
  readonly gateway: Gateway;
  /**
   * The fan-out workers' queue (FANOUT_QUEUE_URL, in a runtime of ./publisher-runtime.ts); none: every
   * audience is posted to in-process.
   */
  readonly fanOutQueue: FanOutQueue | undefined;
  readonly hooks: ChannelHookRegistry;
  /** The seed dialects (./dialects/): how frames to and from connections opened through the seed paths look. */
  readonly dialects: DialectRegistry;
  /**
   * The runtime that posts through the Management API at `endpoint` (a WebSocket event's own stage). Where
   * WS_CALLBACK_URL is set, which the stack always does, it wins and this is the runtime itself.
   */
  forEndpoint(endpoint: string): Runtime;
}

/** What a caller may give instead of what the environment says: credentials, or fakes (tests). */
export interface RuntimeOverrides extends TableOverrides {
  /** One gateway for every endpoint, instead of the Management API. */
  gateway?: Gateway;
  /** A queue instead of FANOUT_QUEUE_URL's. */
  fanOutQueue?: FanOutQueue;
}

/**
 * The queue of the configuration (FANOUT_QUEUE_URL), which the runtime then owns. Given only by
 * ./publisher-runtime.ts, so that a function that delivers nothing bundles no SQS client.
 */
export type FanOutQueueFactory = (
  config: Config,
  credentials: TableRuntime['credentials'],
) => (FanOutQueue & { destroy(): void }) | undefined;

/**
 * Builds the whole runtime from an environment. Configuration errors throw here. Without `queueOf` (or an
 * override) it has no fan-out queue: ./publisher-runtime.ts is the one for the functions that deliver.
 */
export function createRuntime(
  env: Env,
  overrides: RuntimeOverrides = {},
  queueOf?: FanOutQueueFactory,
): Runtime {
  const table = createTableRuntime(env, overrides);
  const { config, credentials } = table;
  const owned = overrides.fanOutQueue ? undefined : queueOf?.(config, credentials);
  const fanOutQueue = overrides.fanOutQueue ?? owned;

  const gateways = new Map<string, ManagementApiGateway>();
  const gatewayAt = (endpoint: string): Gateway => {
    if (overrides.gateway) return overrides.gateway;
    let gateway = gateways.get(endpoint);
    if (!gateway) {
      gateway = new ManagementApiGateway({
        endpoint,
        region: config.region,
        ...(credentials ? { credentials } : {}),
        // The local stack's emulator reads pipelined posts (local/connections-wire.ts): a fan-out's whole pool
        // (FANOUT_CONCURRENCY) fits on one socket. AWS gets one post a socket.
        ...(config.localCredentials ? { pipeline: config.fanOut.concurrency } : {}),
      });
      gateways.set(endpoint, gateway);
    }
    return gateway;
  };

  // One runtime per Management API endpoint, never a shared client re-pointed between invocations.
  const stages = new Map<string, Runtime>();
  const stage = (gateway: Gateway): Runtime => {
    // The features' hooks deliver too: made from a base that has the dialects, they render for seed clients.
    const base = { ...table, gateway, fanOutQueue, dialects };
    return { ...base, hooks: composeHooks(base), forEndpoint, dispose };
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
    owned?.destroy();
    table.dispose();
  }
  return root;
}

type FeatureBase = Omit<Runtime, 'hooks' | 'forEndpoint'>;

/** Each namespace's hooks, from its feature (made before the runtime has hooks: they must not need them). */
function composeHooks(base: FeatureBase): ChannelHookRegistry {
  const hooks: Record<string, ChannelHooks | undefined> = {};
  for (const feature of Object.values(features)) Object.assign(hooks, feature.hooks?.(base));
  return hooks;
}

const missing = () => Promise.reject(new Error('WS_CALLBACK_URL is not configured'));
const missingGateway: Gateway = { post: missing, close: missing, info: missing };
