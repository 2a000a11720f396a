/**
 * THE configuration defaults, by environment variable: what a handler uses when its variable is unset
 * (./config.ts), what the CDK stack sets when a property is not given (infra/stack.ts), and what the
 * `@default` of each stack property says (infra/stack-props.ts, for the reader). Pure data: infra imports
 * it without loading the configuration schema. A default changed here changes everywhere.
 */
export const DEFAULTS = {
  TABLE_NAME: 'switchboard',
  AWS_REGION: 'us-east-1',
  JWKS_COOLDOWN_SECONDS: 30,
  JWKS_CACHE_SECONDS: 600,
  JWT_ALGORITHMS: ['RS256', 'ES256'],
  JWT_CLOCK_TOLERANCE_SECONDS: 30,
  ORGS_CLAIM: 'orgs',
  ORGS_PREFIX: '',
  USERNAME_CLAIMS: ['preferred_username', 'name', 'sub'],
  ALLOW_ANONYMOUS: true,
  /** Empty: any origin. */
  ALLOWED_ORIGINS: [],
  RATE_LIMIT_PER_MINUTE: 100,
  MAX_CHANNELS_PER_CONNECTION: 100,
  MAX_CONNECTIONS_PER_USER: 50,
  PRESENCE_ANNOUNCE_MAX: 100,
  MAX_DATA_BYTES: 16 * 1024,
  CONNECTION_TTL_SECONDS: 2 * 60 * 60,
  FANOUT_CONCURRENCY: 64,
  FANOUT_PAGE_SIZE: 1000,
  /** Audiences over this many subscribers go to the fan-out workers (where there is a queue). */
  FANOUT_QUEUE_THRESHOLD: 2000,
  /** Requests a second the account allows on the Management API: AWS's default quota. */
  MANAGEMENT_API_QUOTA: 10_000,
  /** Fan-out workers at once (the event source's maximum concurrency); each posts quota ÷ workers a second. */
  FANOUT_WORKERS: 10,
  SENSOR_RETENTION_DAYS: 30,
  /** Longer than any publishing function's timeout (29 s): a publish unfinished after it has died. */
  IDEMPOTENCY_STALE_SECONDS: 60,
  LOCAL_STACK: false,
  /** Powertools' level in AWS; the local stack's handlers log less unless told otherwise. */
  LOG_LEVEL: 'INFO',
  LOCAL_LOG_LEVEL: 'WARN',
  /** The metrics' `service` dimension where nothing sets it: the default stack name (infra sets the stack's). */
  POWERTOOLS_SERVICE_NAME: 'Switchboard',
  /** The credentials the local stack's SDK clients sign with (DynamoDB Local, the emulated APIs). */
  LOCAL_ACCESS_KEY_ID: 'local',
  LOCAL_SECRET_ACCESS_KEY: 'local',
} as const;
