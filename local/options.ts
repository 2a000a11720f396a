import { availableParallelism } from 'node:os';
import { type SeedPathSettings, seedPathSettingsProblems } from '../edge/index';
import type { Env } from '../shared/app/config';
import { schedules as routeSchedules, type Schedule } from '../shared/app/routes';
import type { InvocationObserver } from './handlers';
import { WS_LIMITS } from './limits';
import { type LogLevel, logLevels } from './log';
import { type LocalStackProps, localPropsProblems } from './settings';

/** Options of `startLocalStack`; every one has a default, and a misspelt one fails loudly. */
export interface LocalStackOptions extends SeedPathSettings {
  /** Port of the one HTTP + WebSocket server; 0 picks a free one. @default 8080 */
  port?: number;
  /** Interface to listen on; `0.0.0.0` makes the stack reachable from other machines. @default '127.0.0.1' */
  host?: string;
  /** Port of the SQS emulation (the fan-out queue, local/sqs-api.ts); 0 picks a free one. @default 0 */
  sqsPort?: number;
  /** Where DynamoDB Local's data and the dev issuer's key live. @default '.data' */
  dataDir?: string;
  /** Keep nothing on disk: in-memory DynamoDB, a new issuer key per start. @default false */
  memory?: boolean;
  /** Use this DynamoDB and start none; `stop()` leaves it running. */
  dynamodbEndpoint?: string;
  /** `dynalite` skips DynamoDB Local even where Java is found. @default 'auto' */
  dynamodbEngine?: 'auto' | 'dynalite';
  /** @default 'switchboard' */
  tableName?: string;
  /** API Gateway's idle timeout (no data frame from the client). @default 10 minutes */
  idleTimeoutMs?: number;
  /** API Gateway's maximum connection lifetime. @default 2 hours */
  maxLifetimeMs?: number;
  /** The scheduled handlers. @default the route table's `schedules` */
  schedules?: readonly Schedule[];
  /** How often expired items are deleted; 0 turns the sweeper off. @default 60 s */
  sweepIntervalMs?: number;
  /**
   * Lambda invocations running at once, all functions together; more wait for a slot, and their timeout
   * starts when they run. AWS's default account quota is 1,000, but here they all share one DynamoDB
   * Local whose throughput does not grow with them: more at once only makes each slower, until a
   * handler's timeout measures the queue in front of DynamoDB Local rather than its own work. @default 32
   */
  lambdaConcurrency?: number;
  /**
   * Worker threads the handlers run in (lambda-workers.ts), beside the thread that emulates API Gateway;
   * 0 runs them in that thread (one core for everything; a profile or a debugger then sees both).
   * @default the cores but one, at least 1
   */
  lambdaWorkers?: number;
  /**
   * Unsent bytes the WebSocket API holds for one connection (a client that does not read); past them a
   * post answers 429 LimitExceededException, as API Gateway's does when "the client side buffer is
   * full", and sends nothing. @default 1 MiB
   */
  maxBufferedBytes?: number;
  /**
   * The CDK stack's properties (`npm start -- -c name=value`), reaching the handlers as in AWS. Not issuer,
   * audience or jwksUrl: the local stack is its own issuer (local/settings.ts).
   */
  stackProps?: LocalStackProps;
  /** Handler configuration over the stack's own and `stackProps` (e.g. FANOUT_CONCURRENCY). */
  env?: Env;
  /** @default 'warn' */
  logLevel?: LogLevel;
  /** Watches (and may hold) every handler invocation: test instrumentation. */
  observe?: InvocationObserver;
  /**
   * Serve the seed documents' URLs (`/ws/chat/{room}/` …) on this port, through edge/seed-paths.js as the
   * CloudFront distribution does in AWS (0 picks a free one; `seedChat`, `seedNotifications` and
   * `seedCounter` choose as the stack properties do). @default off
   */
  seedPort?: number;
}

/** Options without a default: unset means "none" or "off". */
type Unset = 'dynamodbEndpoint' | 'observe' | 'seedPort' | keyof SeedPathSettings;

export type ResolvedOptions = Required<Omit<LocalStackOptions, Unset>> & Pick<LocalStackOptions, Unset>;

export const defaults: Omit<ResolvedOptions, Unset> = {
  port: 8080,
  host: '127.0.0.1',
  sqsPort: 0,
  dataDir: '.data',
  memory: false,
  dynamodbEngine: 'auto',
  tableName: 'switchboard',
  idleTimeoutMs: WS_LIMITS.idleTimeoutMs,
  maxLifetimeMs: WS_LIMITS.maxLifetimeMs,
  schedules: routeSchedules,
  sweepIntervalMs: 60_000,
  lambdaConcurrency: 32,
  lambdaWorkers: Math.max(1, availableParallelism() - 1),
  maxBufferedBytes: 1024 * 1024,
  stackProps: {},
  env: {},
  logLevel: 'warn',
};

const KNOWN = new Set([
  ...Object.keys(defaults),
  'dynamodbEndpoint',
  'observe',
  'seedPort',
  'seedChat',
  'seedNotifications',
  'seedCounter',
]);

export function resolveOptions(input: LocalStackOptions = {}): ResolvedOptions {
  const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  const o = { ...defaults, ...given } as ResolvedOptions;
  const problems: string[] = Object.keys(given)
    .filter((k) => !KNOWN.has(k))
    .map((k) => `unknown option "${k}"`);
  const int = (name: keyof ResolvedOptions, value: number, min: number, max = Number.MAX_SAFE_INTEGER) => {
    if (!Number.isInteger(value) || value < min || value > max)
      problems.push(`${name} must be an integer ${min}..${max}`);
  };
  int('port', o.port, 0, 65_535);
  int('sqsPort', o.sqsPort, 0, 65_535);
  if (o.seedPort !== undefined) int('seedPort', o.seedPort, 0, 65_535);
  problems.push(...seedPathSettingsProblems(o));
  int('idleTimeoutMs', o.idleTimeoutMs, 1);
  int('maxLifetimeMs', o.maxLifetimeMs, 1);
  int('sweepIntervalMs', o.sweepIntervalMs, 0);
  int('lambdaConcurrency', o.lambdaConcurrency, 1);
  int('lambdaWorkers', o.lambdaWorkers, 0, 64);
  int('maxBufferedBytes', o.maxBufferedBytes, 0);
  if (!logLevels.includes(o.logLevel)) problems.push(`logLevel must be one of ${logLevels.join(', ')}`);
  if (o.dynamodbEngine !== 'auto' && o.dynamodbEngine !== 'dynalite') {
    problems.push('dynamodbEngine must be "auto" or "dynalite"');
  }
  if (o.dynamodbEndpoint !== undefined && !URL.canParse(o.dynamodbEndpoint)) {
    problems.push('dynamodbEndpoint must be a URL');
  }
  for (const s of o.schedules) {
    if (!Number.isInteger(s.everyMinutes) || s.everyMinutes < 1)
      problems.push(`schedule ${s.name}: everyMinutes must be ≥ 1`);
  }
  problems.push(...localPropsProblems(o.stackProps));
  if (problems.length > 0) throw new Error(`Invalid local stack options: ${problems.join('; ')}`);
  return o;
}
