import { z } from 'zod';

/**
 * Everything a handler needs to know about its deployment, read from environment variables. The CDK stack
 * sets them from its properties (infra/), the local stack from its options (local/). Defaults are the
 * limits of PROTOCOL.md section 7.
 */
const list = (fallback: string[] = []) =>
  z
    .string()
    .optional()
    .transform((v) =>
      v === undefined
        ? fallback
        : v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
    );
const int = (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(fallback);
const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((v) => (v === undefined ? fallback : v === 'true' || v === '1'));

export const envSchema = z.object({
  TABLE_NAME: z.string().min(3).default('switchboard'),
  DYNAMODB_ENDPOINT: z.url().optional(),
  AWS_REGION: z.string().default('us-east-1'),
  /** Where the Management API of the WebSocket stage answers: https://{api}.execute-api.{region}.amazonaws.com/{stage}. */
  WS_CALLBACK_URL: z.url().optional(),

  JWT_ISSUER: z.string().optional(),
  JWT_AUDIENCE: list(),
  /** Remote key set (production: the OIDC issuer's jwks_uri). */
  JWKS_URL: z.url().optional(),
  /** An inline JSON Web Key Set, for issuers without a URL (the local dev issuer, tests). */
  JWT_JWKS: z.string().optional(),
  /** A remote key set is refetched at most this often for a token with an unknown `kid` (key rotation). */
  JWKS_COOLDOWN_SECONDS: int(30, 0, 3600),
  /** How long a fetched remote key set is used before it is fetched again. */
  JWKS_CACHE_SECONDS: int(600, 0, 24 * 3600),
  JWT_ALGORITHMS: list(['RS256', 'ES256']),
  JWT_CLOCK_TOLERANCE_SECONDS: int(30, 0, 300),
  ORGS_CLAIM: z.string().default('orgs'),
  /** Stripped from each organisation claim value, e.g. `/orgs/` for Keycloak groups such as `/orgs/acme`. */
  ORGS_PREFIX: z.string().default(''),
  USERNAME_CLAIMS: list(['preferred_username', 'name', 'sub']),
  ALLOW_ANONYMOUS: bool(true),
  /** Origins allowed to open a WebSocket; empty means any. Requests without an Origin (non-browser) pass. */
  ALLOWED_ORIGINS: list(),

  RATE_LIMIT_PER_MINUTE: int(100, 1),
  MAX_CHANNELS_PER_CONNECTION: int(100, 1),
  MAX_CONNECTIONS_PER_USER: int(50, 1),
  PRESENCE_ANNOUNCE_MAX: int(100, 0),
  MAX_DATA_BYTES: int(16 * 1024, 1),
  CONNECTION_TTL_SECONDS: int(2 * 60 * 60, 60),
  FANOUT_CONCURRENCY: int(64, 1, 1024),
  FANOUT_PAGE_SIZE: int(1000, 1, 10_000),
  /** Post through the lean signed-request path (default) or through the SDK client (`false`). */
  MANAGEMENT_API_FAST_POST: bool(true),
  SENSOR_RETENTION_DAYS: int(30, 1),
  /** The live-stats Lambda, which POST /v1/live-push starts at once (asynchronous Invoke). */
  LIVE_STATS_FUNCTION_NAME: z.string().min(1).optional(),
  /** Where the Lambda Invoke API answers; AWS's regional endpoint when unset (the local stack sets its own). */
  LAMBDA_ENDPOINT: z.url().optional(),
  /** The local stack's own credentials (with LOCAL_STACK), which its Management API and Invoke API verify. */
  LOCAL_ACCESS_KEY_ID: z.string().min(1).optional(),
  LOCAL_SECRET_ACCESS_KEY: z.string().min(1).optional(),
});

export type Env = Record<string, string | undefined>;

export interface Config {
  tableName: string;
  dynamodbEndpoint: string | undefined;
  region: string;
  callbackUrl: string | undefined;
  auth: AuthConfig;
  limits: Limits;
  fanOut: { concurrency: number; pageSize: number; fastPost: boolean };
  /** Lambdas a handler starts itself: the Invoke API's endpoint and the functions' names. */
  functions: { endpoint: string | undefined; liveStats: string | undefined };
}

export interface AuthConfig {
  issuer: string | undefined;
  audience: string[];
  jwksUrl: string | undefined;
  jwks: string | undefined;
  jwksCooldownSeconds: number;
  jwksCacheSeconds: number;
  algorithms: string[];
  clockToleranceSeconds: number;
  orgsClaim: string;
  orgsPrefix: string;
  usernameClaims: string[];
  allowAnonymous: boolean;
  allowedOrigins: string[];
}

export interface Limits {
  ratePerMinute: number;
  channelsPerConnection: number;
  connectionsPerUser: number;
  presenceAnnounceMax: number;
  maxDataBytes: number;
  connectionTtlSeconds: number;
  sensorRetentionDays: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment once; every problem is reported in one message. */
export function loadConfig(env: Env): Config {
  const parsed = envSchema.safeParse(env);
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
      fastPost: e.MANAGEMENT_API_FAST_POST,
    },
    functions: { endpoint: e.LAMBDA_ENDPOINT, liveStats: e.LIVE_STATS_FUNCTION_NAME },
  };
}
