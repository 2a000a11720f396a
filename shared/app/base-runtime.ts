import { Logger } from '@aws-lambda-powertools/logger';
import { monotonicFactory } from 'ulid';
import type { CredentialsProvider } from '../adapters/aws/credentials';
import type { StaticCredentials } from '../adapters/management-api/client';
import { type MetricsBuffer, PowertoolsMetrics } from '../adapters/powertools-metrics';
import { createTokenVerifier, type TokenVerifier } from '../core/auth/jwt';
import { type ChannelRegistry, createChannelRegistry, userNamespace } from '../core/channels';
import type { Clock, Ids, Log } from '../core/ports';
import { noMetrics, systemClock } from '../core/ports';
import { featureNamespaces } from '../features/manifests';
import { type Config, type Env, loadConfig } from './config';

/**
 * The runtime of a function that reaches no AWS service (GET /v1/health): the configuration, the token
 * verifier, the clock, ids, the log and the channel registry. The runtimes that reach DynamoDB
 * (./table-runtime.ts) and the Management API (./runtime.ts) are built on it, each in its own module, so
 * that a Lambda's bundle holds the SDK clients of the runtime it asks for and no other.
 */
export interface BaseRuntime {
  readonly config: Config;
  readonly verifier: TokenVerifier;
  readonly clock: Clock;
  readonly ids: Ids;
  readonly log: Log;
  /** Switchboard's own metrics; whoever runs the handler flushes them after each invocation. */
  readonly metrics: MetricsBuffer;
  /** Every namespace: the protocol's `user` and the features'. */
  readonly channels: ChannelRegistry;
  /** For an AWS client a handler builds itself: the local stack's credentials, or a provider (the server library's); none in AWS (the role's). */
  readonly credentials: StaticCredentials | CredentialsProvider | undefined;
  /** Closes the sockets of its clients (a stopping local stack, a server library that is done). */
  dispose(): void;
}

/** What a caller may give instead of what the environment says: credentials, or fakes (tests). */
export interface BaseOverrides {
  /** Credentials (or a provider) for the AWS clients instead of the environment's. */
  credentials?: StaticCredentials | CredentialsProvider;
  verifier?: TokenVerifier;
  clock?: Clock;
  ids?: Ids;
  log?: Log;
  /** Metrics of another kind (a test's recorder, none at all) instead of Powertools'. */
  metrics?: MetricsBuffer;
  /** Where Powertools' EMF documents go instead of stdout (the local stack collects them). */
  metricsSink?: (document: string) => void;
}

/** Builds the base runtime from an environment. Configuration errors throw here. */
export function createBaseRuntime(env: Env, overrides: BaseOverrides = {}): BaseRuntime {
  const config = loadConfig(env);
  return {
    config,
    verifier: overrides.verifier ?? createTokenVerifier(config.auth),
    clock: overrides.clock ?? systemClock,
    ids: overrides.ids ?? ulidIds(),
    log: overrides.log ?? powertoolsLog(config.logLevel),
    metrics:
      overrides.metrics ??
      new PowertoolsMetrics({ service: config.metricsService, sink: overrides.metricsSink }),
    channels: createChannelRegistry([userNamespace, ...featureNamespaces]),
    credentials: overrides.credentials ?? config.localCredentials,
    dispose() {},
  };
}

/**
 * No metrics: for a runtime outside the Lambda handlers (the server library), which runs in another
 * program's process and has no invocation whose end would write them.
 */
export const discardMetrics: MetricsBuffer = { ...noMetrics, flush: async () => {} };

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
