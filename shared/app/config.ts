import * as z from 'zod/mini';
import type { AuthConfig } from '../core/auth/jwt';
import { parseWithMessages } from '../core/protocol';
import type { Limits as CoreLimits, FanOutSettings, PublishSettings, WorkerSettings } from '../core/settings';
import { DEFAULTS } from './defaults';

/**
 * Everything a handler needs to know about its deployment, read from environment variables. The CDK stack
 * sets them from its properties (infra/), the local stack from its options (local/). Every default is in
 * ./defaults.ts; the limits' are those of PROTOCOL.md section 7.
 */
const list = (fallback: readonly string[]) =>
  z.pipe(
    z.optional(z.string()),
    z.transform((v: string | undefined) =>
      v === undefined
        ? [...fallback]
        : v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
    ),
  );
const int = (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z._default(z.coerce.number().check(z.int(), z.minimum(min), z.maximum(max)), fallback);
const BOOLEANS = ['true', 'false', '1', '0'] as const;
const bool = (fallback: boolean) =>
  z.pipe(
    z.optional(z.enum(BOOLEANS)),
    z.transform((v: (typeof BOOLEANS)[number] | undefined) =>
      v === undefined ? fallback : v === 'true' || v === '1',
    ),
  );

export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const D = DEFAULTS;

export const envSchema = z.lazy(() =>
  z.object({
    TABLE_NAME: z._default(z.string().check(z.minLength(3)), D.TABLE_NAME),
    DYNAMODB_ENDPOINT: z.optional(z.url()),
    /**
     * DynamoDB requests in flight on one socket at most (HTTP/1.1 pipelining): the local stack sets it for the
     * DynamoDB it started on loopback; AWS's endpoint gets one request a socket (1).
     */
    DYNAMODB_PIPELINE: int(1, 1, 256),
    AWS_REGION: z._default(z.string(), D.AWS_REGION),
    /** Where the Management API of the WebSocket stage answers: https://{api}.execute-api.{region}.amazonaws.com/{stage}. */
    WS_CALLBACK_URL: z.optional(z.url()),

    JWT_ISSUER: z.optional(z.string()),
    JWT_AUDIENCE: list([]),
    /** Remote key set (production: the OIDC issuer's jwks_uri). */
    JWKS_URL: z.optional(z.url()),
    /** An inline JSON Web Key Set, for issuers without a URL (the local dev issuer, tests). */
    JWT_JWKS: z.optional(z.string()),
    /** A remote key set is refetched at most this often for a token with an unknown `kid` (key rotation). */
    JWKS_COOLDOWN_SECONDS: int(D.JWKS_COOLDOWN_SECONDS, 0, 3600),
    /** How long a fetched remote key set is used before it is fetched again. */
    JWKS_CACHE_SECONDS: int(D.JWKS_CACHE_SECONDS, 0, 24 * 3600),
    JWT_ALGORITHMS: list(D.JWT_ALGORITHMS),
    JWT_CLOCK_TOLERANCE_SECONDS: int(D.JWT_CLOCK_TOLERANCE_SECONDS, 0, 300),
    ORGS_CLAIM: z._default(z.string(), D.ORGS_CLAIM),
    /** Stripped from each organisation claim value, e.g. `/orgs/` for Keycloak groups such as `/orgs/acme`. */
    ORGS_PREFIX: z._default(z.string(), D.ORGS_PREFIX),
    USERNAME_CLAIMS: list(D.USERNAME_CLAIMS),
    ALLOW_ANONYMOUS: bool(D.ALLOW_ANONYMOUS),
    /** Origins allowed to open a WebSocket; empty means any. Requests without an Origin (non-browser) pass. */
    ALLOWED_ORIGINS: list(D.ALLOWED_ORIGINS),

    RATE_LIMIT_PER_MINUTE: int(D.RATE_LIMIT_PER_MINUTE, 1),
    MAX_CHANNELS_PER_CONNECTION: int(D.MAX_CHANNELS_PER_CONNECTION, 1),
    MAX_CONNECTIONS_PER_USER: int(D.MAX_CONNECTIONS_PER_USER, 1),
    PRESENCE_ANNOUNCE_MAX: int(D.PRESENCE_ANNOUNCE_MAX, 0),
    MAX_DATA_BYTES: int(D.MAX_DATA_BYTES, 1),
    CONNECTION_TTL_SECONDS: int(D.CONNECTION_TTL_SECONDS, 60),
    FANOUT_CONCURRENCY: int(D.FANOUT_CONCURRENCY, 1, 1024),
    FANOUT_PAGE_SIZE: int(D.FANOUT_PAGE_SIZE, 1, 10_000),
    /** The fan-out workers' queue (SQS); unset: every audience is posted to by the publisher itself. */
    FANOUT_QUEUE_URL: z.optional(z.url()),
    FANOUT_QUEUE_THRESHOLD: int(D.FANOUT_QUEUE_THRESHOLD, 0),
    MANAGEMENT_API_QUOTA: int(D.MANAGEMENT_API_QUOTA, 1),
    /** The event source's maximum concurrency: 2–1000 in AWS. */
    FANOUT_WORKERS: int(D.FANOUT_WORKERS, 2, 1000),
    SENSOR_RETENTION_DAYS: int(D.SENSOR_RETENTION_DAYS, 1),
    /**
     * A request with an idempotency key still unfinished after this long is taken to have died: a retry takes
     * it over, and a seq it took without storing its message is voided (core/idempotency.ts, core/recovery.ts).
     */
    IDEMPOTENCY_STALE_SECONDS: int(D.IDEMPOTENCY_STALE_SECONDS, 1, 24 * 3600),
    /** The live-stats Lambda, which POST /v1/live-push starts at once (asynchronous Invoke). */
    LIVE_STATS_FUNCTION_NAME: z.optional(z.string().check(z.minLength(1))),
    /** The after-connect Lambda, which `$connect` starts (asynchronous Invoke) for the work that follows a join. */
    AFTER_CONNECT_FUNCTION_NAME: z.optional(z.string().check(z.minLength(1))),
    /** Where the Lambda Invoke API answers; AWS's regional endpoint when unset (the local stack sets its own). */
    LAMBDA_ENDPOINT: z.optional(z.url()),

    /** Set by the local stack (local/env.ts): its SDK clients sign with LOCAL_ACCESS_KEY_ID / _SECRET_. */
    LOCAL_STACK: bool(D.LOCAL_STACK),
    LOCAL_ACCESS_KEY_ID: z._default(z.string().check(z.minLength(1)), D.LOCAL_ACCESS_KEY_ID),
    LOCAL_SECRET_ACCESS_KEY: z._default(z.string().check(z.minLength(1)), D.LOCAL_SECRET_ACCESS_KEY),
    /** The `service` dimension of the metrics (shared/core/metrics.ts): the stack name, set by infra/ and local/. */
    POWERTOOLS_SERVICE_NAME: z._default(z.string().check(z.minLength(1)), D.POWERTOOLS_SERVICE_NAME),
    /** Powertools' log level of the handlers; INFO in AWS, WARN in the local stack when unset. */
    LOG_LEVEL: z.optional(
      z.pipe(
        z.pipe(
          z.string(),
          z.transform((v: string) => v.toUpperCase()),
        ),
        z.enum(LOG_LEVELS),
      ),
    ),
  }),
);

export type Env = Record<string, string | undefined>;

export interface Config {
  tableName: string;
  dynamodbEndpoint: string | undefined;
  /** DYNAMODB_PIPELINE: requests in flight on one socket to DynamoDB (1: no pipelining). */
  dynamodbPipeline: number;
  region: string;
  callbackUrl: string | undefined;
  auth: AuthConfig;
  limits: Limits;
  fanOut: FanOutSettings & WorkerSettings & { queueUrl: string | undefined };
  publish: PublishSettings;
  /** Lambdas a handler starts itself: the Invoke API's endpoint and the functions' names. */
  functions: {
    endpoint: string | undefined;
    liveStats: string | undefined;
    afterConnect: string | undefined;
  };
  logLevel: LogLevel;
  /** The `service` dimension of every metric the handlers emit. */
  metricsService: string;
  /** The local stack's SDK credentials; undefined in AWS (the function's role, through the default chain). */
  localCredentials: { accessKeyId: string; secretAccessKey: string } | undefined;
}

/** The core's limits and the features' own. */
export interface Limits extends CoreLimits {
  /** Rooms announce joins and leaves up to this many subscribers (features/rooms/presence.ts). */
  presenceAnnounceMax: number;
  sensorRetentionDays: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment once; every problem is reported in one message. */
export function loadConfig(env: Env): Config {
  const parsed = parseWithMessages(envSchema, env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  const algorithms = e.JWT_ALGORITHMS;
  const unsafe = algorithms.filter((a) => !/^(RS|PS|ES)(256|384|512)$|^EdDSA$/.test(a));
  if (unsafe.length > 0) {
    throw new ConfigError(
      `Invalid configuration: JWT_ALGORITHMS allows only asymmetric algorithms, got ${unsafe}`,
    );
  }
  return {
    tableName: e.TABLE_NAME,
    dynamodbEndpoint: e.DYNAMODB_ENDPOINT,
    dynamodbPipeline: e.DYNAMODB_PIPELINE,
    region: e.AWS_REGION,
    callbackUrl: e.WS_CALLBACK_URL,
    auth: {
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      jwksUrl: e.JWKS_URL,
      jwks: e.JWT_JWKS,
      jwksCooldownSeconds: e.JWKS_COOLDOWN_SECONDS,
      jwksCacheSeconds: e.JWKS_CACHE_SECONDS,
      algorithms,
      clockToleranceSeconds: e.JWT_CLOCK_TOLERANCE_SECONDS,
      orgsClaim: e.ORGS_CLAIM,
      orgsPrefix: e.ORGS_PREFIX,
      usernameClaims: e.USERNAME_CLAIMS,
      allowAnonymous: e.ALLOW_ANONYMOUS,
      allowedOrigins: e.ALLOWED_ORIGINS,
    },
    limits: {
      ratePerMinute: e.RATE_LIMIT_PER_MINUTE,
      channelsPerConnection: e.MAX_CHANNELS_PER_CONNECTION,
      connectionsPerUser: e.MAX_CONNECTIONS_PER_USER,
      presenceAnnounceMax: e.PRESENCE_ANNOUNCE_MAX,
      maxDataBytes: e.MAX_DATA_BYTES,
      connectionTtlSeconds: e.CONNECTION_TTL_SECONDS,
      sensorRetentionDays: e.SENSOR_RETENTION_DAYS,
    },
    fanOut: {
      concurrency: e.FANOUT_CONCURRENCY,
      pageSize: e.FANOUT_PAGE_SIZE,
      queueUrl: e.FANOUT_QUEUE_URL,
      queueThreshold: e.FANOUT_QUEUE_THRESHOLD,
      quotaPerSecond: e.MANAGEMENT_API_QUOTA,
      workers: e.FANOUT_WORKERS,
    },
    publish: { staleAfterMs: e.IDEMPOTENCY_STALE_SECONDS * 1000 },
    functions: {
      endpoint: e.LAMBDA_ENDPOINT,
      liveStats: e.LIVE_STATS_FUNCTION_NAME,
      afterConnect: e.AFTER_CONNECT_FUNCTION_NAME,
    },
    logLevel: e.LOG_LEVEL ?? (e.LOCAL_STACK ? DEFAULTS.LOCAL_LOG_LEVEL : DEFAULTS.LOG_LEVEL),
    metricsService: e.POWERTOOLS_SERVICE_NAME,
    localCredentials: e.LOCAL_STACK
      ? { accessKeyId: e.LOCAL_ACCESS_KEY_ID, secretAccessKey: e.LOCAL_SECRET_ACCESS_KEY }
      : undefined,
  };
}
