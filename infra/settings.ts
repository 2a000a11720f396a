import type { RemovalPolicy } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DEFAULTS } from '../shared/app/defaults';
import type { EnvName } from '../shared/app/routes';
import type { RouteThrottling, SwitchboardStackProps } from './stack-props';

/**
 * The one table of the stack's settings: every property of SwitchboardStackProps under the name
 * `cdk deploy -c name=value` and `npm start -- -c name=value` take, how its value is read, its default, and
 * the handlers' environment variable it becomes. infra/context.ts reads context through it,
 * `handlerEnvironment` below maps props to the functions' environment for both stacks (infra/stack.ts,
 * local/env.ts), and `npm start -- --help` lists it. Only type imports here: the local stack loads this
 * without aws-cdk-lib.
 */

/** How a context value (a string on the command line; JSON in cdk.json) is read. */
export type SettingKind =
  | 'string'
  | 'list'
  | 'number'
  | 'boolean'
  | 'retention'
  | 'removal'
  | 'routeThrottling';

export interface StackSetting {
  /** The property it sets; absent for `stackName`, which names the stack rather than configuring it. */
  readonly prop?: keyof SwitchboardStackProps;
  readonly kind: SettingKind;
  /** One sentence for `npm start -- --help`. */
  readonly help: string;
  /**
   * The value that applies when none is given, written as a context value. For a setting with `env` it is
   * what the functions get; for the others, what the constructs default to (test/infra/settings.test.ts
   * checks them against a synthesized stack).
   */
  readonly default?: string;
  /** The handlers' environment variable (shared/app/config.ts); absent: only the infrastructure reads it. */
  readonly env?: EnvName;
}

const SETTINGS = {
  stackName: { kind: 'string', default: 'Switchboard', help: "The CloudFormation stack's name." },
  stageName: {
    prop: 'stageName',
    kind: 'string',
    default: 'prod',
    help: 'The WebSocket stage: clients connect to wss://…/{stageName}.',
  },
  issuer: {
    prop: 'issuer',
    kind: 'string',
    env: 'JWT_ISSUER',
    help: 'The OIDC issuer of the tokens (iss), an https URL; required with HTTP routes that take a JWT.',
  },
  audience: {
    prop: 'audience',
    kind: 'list',
    env: 'JWT_AUDIENCE',
    help: 'Accepted aud values; required with issuer.',
  },
  jwksUrl: {
    prop: 'jwksUrl',
    kind: 'string',
    env: 'JWKS_URL',
    help: "The issuer's key set, an https URL (unset: found by OIDC discovery from the issuer).",
  },
  jwtAlgorithms: {
    prop: 'jwtAlgorithms',
    kind: 'list',
    env: 'JWT_ALGORITHMS',
    help: 'Accepted token algorithms, asymmetric only (RS, PS, ES 256/384/512, EdDSA).',
  },
  orgsClaim: {
    prop: 'orgsClaim',
    kind: 'string',
    env: 'ORGS_CLAIM',
    help: "The claim that lists the user's organisations.",
  },
  orgsPrefix: {
    prop: 'orgsPrefix',
    kind: 'string',
    env: 'ORGS_PREFIX',
    help: 'Stripped from each organisation value, e.g. /orgs/ for Keycloak groups such as /orgs/acme.',
  },
  usernameClaims: {
    prop: 'usernameClaims',
    kind: 'list',
    env: 'USERNAME_CLAIMS',
    help: 'Claims tried in order for the display name.',
  },
  allowAnonymous: {
    prop: 'allowAnonymous',
    kind: 'boolean',
    env: 'ALLOW_ANONYMOUS',
    help: 'Whether connections without a token are accepted (anonymous namespaces only).',
  },
  allowedOrigins: {
    prop: 'allowedOrigins',
    kind: 'list',
    env: 'ALLOWED_ORIGINS',
    help: 'Origins allowed to open a WebSocket and to call the HTTP API from a browser (unset: any).',
  },
  rateLimitPerMinute: {
    prop: 'rateLimitPerMinute',
    kind: 'number',
    env: 'RATE_LIMIT_PER_MINUTE',
    help: 'Frames one connection may send per minute.',
  },
  maxChannelsPerConnection: {
    prop: 'maxChannelsPerConnection',
    kind: 'number',
    env: 'MAX_CHANNELS_PER_CONNECTION',
    help: 'Channels one connection may be subscribed to.',
  },
  maxConnectionsPerUser: {
    prop: 'maxConnectionsPerUser',
    kind: 'number',
    env: 'MAX_CONNECTIONS_PER_USER',
    help: 'Open connections per user.',
  },
  presenceAnnounceMax: {
    prop: 'presenceAnnounceMax',
    kind: 'number',
    env: 'PRESENCE_ANNOUNCE_MAX',
    help: 'Channels up to this many subscribers announce joins and leaves (0: never).',
  },
  maxDataBytes: {
    prop: 'maxDataBytes',
    kind: 'number',
    env: 'MAX_DATA_BYTES',
    help: 'Largest data of a publication, in bytes of JSON.',
  },
  sensorRetentionDays: {
    prop: 'sensorRetentionDays',
    kind: 'number',
    env: 'SENSOR_RETENTION_DAYS',
    help: 'How long sensor readings are kept.',
  },
  fanOutQueueThreshold: {
    prop: 'fanOutQueueThreshold',
    kind: 'number',
    env: 'FANOUT_QUEUE_THRESHOLD',
    help: 'Channels with more subscribers than this are delivered by the fan-out workers (SQS); a publish to them answers queued.',
  },
  managementApiQuota: {
    prop: 'managementApiQuota',
    kind: 'number',
    env: 'MANAGEMENT_API_QUOTA',
    help: "Requests a second the account allows on the Management API (AWS's default quota); the fan-out workers share it.",
  },
  fanOutWorkers: {
    prop: 'fanOutWorkers',
    kind: 'number',
    env: 'FANOUT_WORKERS',
    help: "Fan-out workers at once (the SQS event source's maximum concurrency, 2–1000); each posts quota ÷ workers a second.",
  },
  idempotencyStaleSeconds: {
    prop: 'idempotencyStaleSeconds',
    kind: 'number',
    env: 'IDEMPOTENCY_STALE_SECONDS',
    help: "Seconds after which an unfinished publish (or request with an idempotency key) is taken to have died: a retry takes it over, a seq it took is voided. Longer than the functions' timeout.",
  },
  throttlingRateLimit: {
    prop: 'throttlingRateLimit',
    kind: 'number',
    default: '1000',
    help: 'WebSocket stage default route throttling: steady requests per second, per route.',
  },
  throttlingBurstLimit: {
    prop: 'throttlingBurstLimit',
    kind: 'number',
    default: '2000',
    help: 'WebSocket stage default route throttling: burst, per route.',
  },
  webSocketRouteThrottling: {
    prop: 'webSocketRouteThrottling',
    kind: 'routeThrottling',
    default: '{"$connect":{"rateLimit":200,"burstLimit":400}}',
    help: 'Throttling of single WebSocket routes by route key, in place of the stage default ({} for none).',
  },
  httpThrottlingRateLimit: {
    prop: 'httpThrottlingRateLimit',
    kind: 'number',
    default: '500',
    help: 'HTTP API default route throttling: steady requests per second, per route.',
  },
  httpThrottlingBurstLimit: {
    prop: 'httpThrottlingBurstLimit',
    kind: 'number',
    default: '1000',
    help: 'HTTP API default route throttling: burst, per route.',
  },
  logRetentionDays: {
    prop: 'logRetention',
    kind: 'retention',
    default: '30',
    help: "How long every function's logs are kept, in days (a CloudWatch Logs retention).",
  },
  accessLogRetentionDays: {
    prop: 'accessLogRetention',
    kind: 'retention',
    default: '30',
    help: 'How long the access logs of both API stages are kept, in days (a CloudWatch Logs retention).',
  },
  apiGatewayLoggingRole: {
    prop: 'apiGatewayLoggingRole',
    kind: 'boolean',
    default: 'true',
    help: "Create API Gateway's CloudWatch Logs role and make it the account's (false where the account has one).",
  },
  tracing: {
    prop: 'tracing',
    kind: 'boolean',
    default: 'true',
    help: 'X-Ray active tracing on every function.',
  },
  alarmEmail: {
    prop: 'alarmEmail',
    kind: 'string',
    help: 'An e-mail address subscribed to the alarm topic (unset: subscribe to the AlarmTopicArn output).',
  },
  tableRemovalPolicy: {
    prop: 'tableRemovalPolicy',
    kind: 'removal',
    default: 'retain',
    help: 'What happens to the table and its data when it leaves the stack.',
  },
  seedPaths: {
    prop: 'seedPaths',
    kind: 'boolean',
    default: 'false',
    help: "Serve the seed documents' Django Channels URLs (/ws/chat/{room}/ …) through a CloudFront distribution.",
  },
  seedChat: {
    prop: 'seedChat',
    kind: 'string',
    default: 'rooms',
    help: "What /ws/chat/{id}/ is: rooms (seed 001's room:{id}) or chats (seed 003's chat:{id}).",
  },
  seedNotifications: {
    prop: 'seedNotifications',
    kind: 'string',
    default: '001',
    help: 'Whose frames /ws/notifications/ speaks: 001 or 004 (the seeds disagree).',
  },
  seedCounter: {
    prop: 'seedCounter',
    kind: 'string',
    default: 'global',
    help: 'The counter /ws/counter/ is: counter:{seedCounter}.',
  },
  seedDomainName: {
    prop: 'seedDomainName',
    kind: 'string',
    help: 'A name of your own for the seed paths distribution (with seedPaths and seedCertificateArn).',
  },
  seedCertificateArn: {
    prop: 'seedCertificateArn',
    kind: 'string',
    help: 'The ACM certificate for seedDomainName, in us-east-1 (CloudFront).',
  },
  webSocketDomainName: {
    prop: 'webSocketDomainName',
    kind: 'string',
    help: 'A name of your own for the WebSocket API, e.g. ws.example.com (with webSocketCertificateArn).',
  },
  webSocketCertificateArn: {
    prop: 'webSocketCertificateArn',
    kind: 'string',
    help: "The ACM certificate for webSocketDomainName, in the stack's region.",
  },
  httpDomainName: {
    prop: 'httpDomainName',
    kind: 'string',
    help: 'A name of your own for the HTTP API, e.g. api.example.com (with httpCertificateArn).',
  },
  httpCertificateArn: {
    prop: 'httpCertificateArn',
    kind: 'string',
    help: "The ACM certificate for httpDomainName, in the stack's region.",
  },
} as const satisfies Record<string, StackSetting>;

export type SettingName = keyof typeof SETTINGS;
/**
 * The settings, with the default of every one that the handlers read taken from shared/app/defaults.ts (the
 * one place the handlers' defaults live); the others' defaults are the constructs' own, written above.
 */
export const STACK_SETTINGS: Readonly<Record<SettingName, StackSetting>> = Object.fromEntries(
  Object.entries(SETTINGS as Record<SettingName, StackSetting>).map(([name, setting]) => {
    const env = setting.env;
    const handlerDefault = env !== undefined && env in DEFAULTS ? DEFAULTS[env as keyof typeof DEFAULTS] : '';
    const text = envText(handlerDefault);
    return [name, text === '' ? setting : { ...setting, default: text }];
  }),
) as Record<SettingName, StackSetting>;
export const settingNames = Object.keys(SETTINGS) as SettingName[];
export const DEFAULT_STACK_NAME: string = SETTINGS.stackName.default;

/** The type each kind of setting gives its property. */
interface KindValue {
  string: string;
  list: readonly string[];
  number: number;
  boolean: boolean;
  retention: RetentionDays;
  removal: RemovalPolicy;
  routeThrottling: Readonly<Record<string, RouteThrottling>>;
}
type Props = Required<SwitchboardStackProps>;
type Entry = (typeof SETTINGS)[SettingName];
type Covered = Entry extends infer E ? (E extends { prop: infer P } ? P : never) : never;
type WrongKind = {
  [N in SettingName]: (typeof SETTINGS)[N] extends { prop: infer P extends keyof Props; kind: infer K }
    ? K extends 'string'
      ? Props[P] extends string // a union of names too ('rooms' | 'chats'): stack-props.ts checks the value
        ? never
        : N
      : K extends SettingKind
        ? KindValue[K] extends Props[P]
          ? never
          : N
        : N
    : never;
}[SettingName];
/**
 * Fails to compile when a property of SwitchboardStackProps has no setting (`schedules` aside: only tests
 * pass their own), or when a setting's kind does not give its property's type. Names the culprits.
 */
export type SettingsMatchProps = Expect<Exclude<keyof Props, Covered | 'schedules'> | WrongKind>;
type Expect<T extends never> = T;

/** A prop's value as the handlers read it: lists comma-separated (stack-props.ts forbids commas inside). */
function envText(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

/**
 * What the handlers see of the props: the environment of every function, in AWS (infra/stack.ts) and in
 * the local stack (local/env.ts) alike. Defaults are written out, so a deployed function's configuration can
 * be read on its console; unset and empty values are left out, and the handler's own default
 * (shared/app/config.ts) applies.
 */
export function handlerEnvironment(props: SwitchboardStackProps): Partial<Record<EnvName, string>> {
  const env: Partial<Record<EnvName, string>> = {};
  for (const setting of Object.values(STACK_SETTINGS)) {
    if (setting.env === undefined || setting.prop === undefined) continue;
    const given = props[setting.prop];
    const text = given === undefined ? setting.default : envText(given);
    if (text !== undefined && text !== '') env[setting.env] = text;
  }
  return env;
}
