import { type RemovalPolicy, Token } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type SeedChat, type SeedNotifications, seedPathSettingsProblems } from '../edge/index';
import { type Schedule, webSocketRoutes } from '../shared/app/routes';
import { scheduleProblems } from './constructs/schedules';

export interface SwitchboardStackProps {
  /**
   * The WebSocket stage: clients connect to `wss://…/{stageName}`.
   * @default 'prod'
   */
  readonly stageName?: string;

  /**
   * The OIDC issuer of the tokens (`iss`), an https URL. Required while the route table has HTTP routes
   * with auth 'jwt': API Gateway's JWT authorizer needs it.
   * @default - none: every token is refused and only anonymous WebSocket connections work
   */
  readonly issuer?: string;
  /**
   * Accepted `aud` values. Required with `issuer` (API Gateway's JWT authorizer always checks `aud`).
   * @default []
   */
  readonly audience?: readonly string[];
  /**
   * The issuer's key set, an https URL, used by the $connect authorizer and the handlers that verify
   * optional tokens. (The HTTP JWT authorizer finds the keys through the issuer's OIDC discovery.)
   * @default `${issuer}/.well-known/jwks.json`
   */
  readonly jwksUrl?: string;
  /**
   * Accepted token algorithms: asymmetric ones only (RS, PS, ES 256/384/512, EdDSA).
   * @default ['RS256', 'ES256']
   */
  readonly jwtAlgorithms?: readonly string[];
  /**
   * The claim that lists the user's organisations.
   * @default 'orgs'
   */
  readonly orgsClaim?: string;
  /**
   * Stripped from each organisation value, e.g. `/orgs/` for Keycloak groups such as `/orgs/acme`.
   * @default ''
   */
  readonly orgsPrefix?: string;
  /**
   * Claims tried in order for the display name.
   * @default ['preferred_username', 'name', 'sub']
   */
  readonly usernameClaims?: readonly string[];
  /**
   * Whether connections without a token are accepted (for the anonymous namespaces only).
   * @default true
   */
  readonly allowAnonymous?: boolean;
  /**
   * Origins allowed to open a WebSocket and to call the HTTP API from a browser (CORS), e.g.
   * `https://app.example.com`.
   * @default [] - any origin
   */
  readonly allowedOrigins?: readonly string[];

  /**
   * Frames one connection may send per minute.
   * @default 100
   */
  readonly rateLimitPerMinute?: number;
  /**
   * Channels one connection may be subscribed to.
   * @default 100
   */
  readonly maxChannelsPerConnection?: number;
  /**
   * Open connections per user.
   * @default 50
   */
  readonly maxConnectionsPerUser?: number;
  /**
   * Channels up to this many subscribers announce joins and leaves (0: never).
   * @default 100
   */
  readonly presenceAnnounceMax?: number;
  /**
   * Largest `data` of a publication, in bytes of JSON.
   * @default 16384
   */
  readonly maxDataBytes?: number;
  /**
   * How long sensor readings are kept.
   * @default 30
   */
  readonly sensorRetentionDays?: number;
  /**
   * Seconds after which an unfinished publish (or request with an idempotency key) is taken to have died:
   * a retry with its id takes it over, a seq it took without storing its message is voided. Keep it longer
   * than the functions' timeout (29 s at most).
   * @default 60
   */
  readonly idempotencyStaleSeconds?: number;

  /**
   * Channels with more subscribers than this are delivered by the fan-out workers (SQS) and their publish
   * answers `queued` as soon as the message is stored and queued; smaller ones are posted to by the
   * publisher itself before it answers `delivered`.
   * @default 2000
   */
  readonly fanOutQueueThreshold?: number;
  /**
   * Requests a second the account allows on the API Gateway Management API (every `@connections` call of
   * the account and region shares it; AWS's default quota is 10,000). The fan-out workers share it.
   * @default 10000
   */
  readonly managementApiQuota?: number;
  /**
   * Fan-out workers at once: the SQS event source's maximum concurrency (2–1000). Each worker posts at most
   * managementApiQuota ÷ fanOutWorkers a second.
   * @default 10
   */
  readonly fanOutWorkers?: number;

  /**
   * WebSocket stage default route throttling: steady requests per second, per route.
   * @default 1000
   */
  readonly throttlingRateLimit?: number;
  /**
   * WebSocket stage default route throttling: burst, per route.
   * @default 2000
   */
  readonly throttlingBurstLimit?: number;
  /**
   * Throttling of single WebSocket routes by route key, instead of the stage default. Given, it replaces the
   * default map (pass `{}` for none). `$connect` is throttled lower than frames because each connect runs
   * two Lambdas (the authorizer, then ws-connect) and several writes; 200/s re-admits 100,000 clients in
   * under 9 minutes after an outage.
   * @default { $connect: { rateLimit: 200, burstLimit: 400 } }
   */
  readonly webSocketRouteThrottling?: Readonly<Record<string, RouteThrottling>>;
  /**
   * HTTP API default route throttling: steady requests per second, per route.
   * @default 500
   */
  readonly httpThrottlingRateLimit?: number;
  /**
   * HTTP API default route throttling: burst, per route.
   * @default 1000
   */
  readonly httpThrottlingBurstLimit?: number;
  /**
   * How long every function's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * How long the access logs of both API stages are kept (one JSON line per request, frame, connect).
   * @default RetentionDays.ONE_MONTH
   */
  readonly accessLogRetention?: RetentionDays;
  /**
   * Whether to create API Gateway's CloudWatch Logs role and make it the account's (AWS::ApiGateway::Account),
   * which the WebSocket stage's access logs need. Set false where the account already has one: it is a single
   * setting per account and region, and the last stack to set it wins.
   * @default true
   */
  readonly apiGatewayLoggingRole?: boolean;
  /**
   * X-Ray active tracing on every function. Lambda samples on its own (the first request each second and
   * 5% of the rest, per function; it cannot be changed): see infra/README.md for the cost.
   * @default true
   */
  readonly tracing?: boolean;
  /**
   * An e-mail address subscribed to the alarm topic (SNS mails a confirmation link first).
   * @default - no subscription: subscribe your paging tool to the `AlarmTopicArn` output
   */
  readonly alarmEmail?: string;
  /**
   * What happens to the table (and its data) when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly tableRemovalPolicy?: RemovalPolicy;

  /**
   * Serve the seed documents' Django Channels URLs (`wss://…/ws/chat/{room}/`, `/ws/notifications/` …):
   * a CloudFront distribution in front of the WebSocket API, with edge/seed-paths.js on viewer request.
   * See docs/migration.md.
   * @default false
   */
  readonly seedPaths?: boolean;
  /**
   * What `/ws/chat/{id}/` is: seed 001's rooms (`room:{id}`) or seed 003's chats (`chat:{id}`).
   * @default 'rooms'
   */
  readonly seedChat?: SeedChat;
  /**
   * Whose frames `/ws/notifications/` speaks: seed 001's or seed 004's (they disagree).
   * @default '001'
   */
  readonly seedNotifications?: SeedNotifications;
  /**
   * The counter `/ws/counter/` is: `counter:{seedCounter}`.
   * @default 'global'
   */
  readonly seedCounter?: string;
  /**
   * A name of your own for the seed paths distribution (needs `seedPaths` and `seedCertificateArn`).
   * @default - the distribution's `d….cloudfront.net` name
   */
  readonly seedDomainName?: string;
  /** The ACM certificate for `seedDomainName`: CloudFront takes certificates from us-east-1 only. */
  readonly seedCertificateArn?: string;
  /**
   * A name of your own for the WebSocket API, e.g. `ws.example.com` (with `webSocketCertificateArn`):
   * clients connect to `wss://ws.example.com`, no stage in the path. The handlers keep posting to the
   * execute-api host (WS_CALLBACK_URL).
   * @default - the execute-api name only
   */
  readonly webSocketDomainName?: string;
  /** The ACM certificate for `webSocketDomainName`, in the stack's region. */
  readonly webSocketCertificateArn?: string;
  /**
   * A name of your own for the HTTP API, e.g. `api.example.com` (with `httpCertificateArn`).
   * @default - the execute-api name only
   */
  readonly httpDomainName?: string;
  /** The ACM certificate for `httpDomainName`, in the stack's region. */
  readonly httpCertificateArn?: string;

  /**
   * The scheduled invocations. Only tests pass their own.
   * @default - the route table's `schedules` (shared/app/routes.ts)
   */
  readonly schedules?: readonly Schedule[];
}

/** Throttling of one route: steady requests per second and burst. */
export interface RouteThrottling {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

/** What `webSocketRouteThrottling` is unless given. */
export const DEFAULT_WEBSOCKET_ROUTE_THROTTLING: Readonly<Record<string, RouteThrottling>> = {
  $connect: { rateLimit: 200, burstLimit: 400 },
};

/** Props that cannot make a working stack; `problems` lists every one of them. */
export class InvalidStackPropsError extends Error {
  override name = 'InvalidStackPropsError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid Switchboard stack properties:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

/** The same allow-list shared/app/config.ts enforces at runtime: a symmetric or `none` algorithm never passes. */
const ASYMMETRIC = /^(RS|PS|ES)(256|384|512)$|^EdDSA$/;
const STAGE_NAME = /^[A-Za-z0-9_-]{1,128}$/;
/** Enough to catch a typo; SNS's confirmation mail proves the rest. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Every problem of the props, in one list; empty when they are fine. `jwtRoutes` names the routes needing an issuer. */
export function stackPropsProblems(props: SwitchboardStackProps, jwtRoutes: readonly string[]): string[] {
  const problems: string[] = [];
  const known = (v: string | undefined): v is string => v !== undefined && !Token.isUnresolved(v);

  if (known(props.stageName) && !STAGE_NAME.test(props.stageName)) {
    problems.push(`stageName "${props.stageName}" must be 1–128 letters, digits, '-' or '_'`);
  }

  const audience = props.audience ?? [];
  if (props.issuer === undefined) {
    if (jwtRoutes.length > 0) {
      problems.push(
        `issuer is required: the HTTP routes ${jwtRoutes.join(', ')} use API Gateway's JWT authorizer`,
      );
    }
    if (audience.length > 0) problems.push('audience is set without issuer');
    if (props.jwksUrl !== undefined) problems.push('jwksUrl is set without issuer');
  } else {
    if (known(props.issuer) && !isHttpsUrl(props.issuer)) {
      problems.push(`issuer must be an https URL, got "${props.issuer}"`);
    }
    if (audience.length === 0) {
      problems.push("audience is required with issuer: API Gateway's JWT authorizer checks `aud`");
    }
  }
  if (known(props.jwksUrl) && !isHttpsUrl(props.jwksUrl)) {
    problems.push(`jwksUrl must be an https URL, got "${props.jwksUrl}"`);
  }

  const algorithms = props.jwtAlgorithms;
  if (algorithms !== undefined) {
    if (algorithms.length === 0) problems.push('jwtAlgorithms must name at least one algorithm');
    const unsafe = algorithms.filter((a) => !ASYMMETRIC.test(a));
    if (unsafe.length > 0) {
      problems.push(
        `jwtAlgorithms allows only asymmetric algorithms (RS/PS/ES 256/384/512, EdDSA), got ${unsafe.join(', ')}`,
      );
    }
  }
  if (props.usernameClaims !== undefined && props.usernameClaims.length === 0) {
    problems.push('usernameClaims must name at least one claim');
  }

  for (const origin of props.allowedOrigins ?? []) {
    if (origin !== '*' && !isOrigin(origin)) {
      problems.push(`allowedOrigins: "${origin}" is not an origin (scheme://host[:port], no path) or '*'`);
    }
  }

  // Lists travel to the handlers as comma-separated environment variables.
  const lists: [string, readonly string[] | undefined][] = [
    ['audience', props.audience],
    ['jwtAlgorithms', props.jwtAlgorithms],
    ['usernameClaims', props.usernameClaims],
    ['allowedOrigins', props.allowedOrigins],
  ];
  for (const [name, values] of lists) {
    if (values?.some((v) => v.includes(','))) problems.push(`${name} values must not contain commas`);
  }

  const integers: [string, number | undefined, number][] = [
    ['rateLimitPerMinute', props.rateLimitPerMinute, 1],
    ['maxChannelsPerConnection', props.maxChannelsPerConnection, 1],
    ['maxConnectionsPerUser', props.maxConnectionsPerUser, 1],
    ['presenceAnnounceMax', props.presenceAnnounceMax, 0],
    ['maxDataBytes', props.maxDataBytes, 1],
    ['idempotencyStaleSeconds', props.idempotencyStaleSeconds, 1],
    ['sensorRetentionDays', props.sensorRetentionDays, 1],
    ['fanOutQueueThreshold', props.fanOutQueueThreshold, 0],
    ['managementApiQuota', props.managementApiQuota, 1],
    ['fanOutWorkers', props.fanOutWorkers, 2],
    ['throttlingRateLimit', props.throttlingRateLimit, 1],
    ['throttlingBurstLimit', props.throttlingBurstLimit, 1],
    ['httpThrottlingRateLimit', props.httpThrottlingRateLimit, 1],
    ['httpThrottlingBurstLimit', props.httpThrottlingBurstLimit, 1],
  ];
  const routeKeys = new Set(webSocketRoutes.map((r) => r.routeKey));
  for (const [routeKey, throttling] of Object.entries(props.webSocketRouteThrottling ?? {})) {
    if (!routeKeys.has(routeKey)) {
      problems.push(
        `webSocketRouteThrottling: "${routeKey}" is not a WebSocket route (${[...routeKeys].join(', ')})`,
      );
    }
    integers.push(
      [`webSocketRouteThrottling.${routeKey}.rateLimit`, throttling.rateLimit, 1],
      [`webSocketRouteThrottling.${routeKey}.burstLimit`, throttling.burstLimit, 1],
    );
  }
  const workers = props.fanOutWorkers;
  if (workers !== undefined && !Token.isUnresolved(workers) && workers > 1000) {
    problems.push(
      `fanOutWorkers must be at most 1000 (an SQS event source's maximum concurrency), got ${workers}`,
    );
  }
  if (known(props.alarmEmail) && !EMAIL.test(props.alarmEmail)) {
    problems.push(`alarmEmail "${props.alarmEmail}" is not an e-mail address`);
  }
  for (const [name, value, min] of integers) {
    if (value !== undefined && !Token.isUnresolved(value) && !(Number.isInteger(value) && value >= min)) {
      problems.push(`${name} must be a whole number ≥ ${min}, got ${value}`);
    }
  }
  problems.push(...scheduleProblems(props.schedules ?? []));
  problems.push(...seedPathSettingsProblems(props), ...domainProblems(props));
  return problems;
}

const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate\/[A-Za-z0-9-]+$/;

/** Custom domain names: each with its certificate, the distribution's only with the distribution. */
function domainProblems(props: SwitchboardStackProps): string[] {
  const problems: string[] = [];
  const known = (v: string | undefined): v is string => v !== undefined && !Token.isUnresolved(v);
  const pairs: [string, string | undefined, string, string | undefined][] = [
    ['seedDomainName', props.seedDomainName, 'seedCertificateArn', props.seedCertificateArn],
    [
      'webSocketDomainName',
      props.webSocketDomainName,
      'webSocketCertificateArn',
      props.webSocketCertificateArn,
    ],
    ['httpDomainName', props.httpDomainName, 'httpCertificateArn', props.httpCertificateArn],
  ];
  for (const [nameKey, name, arnKey, arn] of pairs) {
    if ((name === undefined) !== (arn === undefined)) {
      problems.push(`${nameKey} and ${arnKey} go together: give both or neither`);
    }
    if (known(name) && !HOST_NAME.test(name)) {
      problems.push(`${nameKey} "${name}" is not a host name (lower-case, e.g. ws.example.com)`);
    }
    if (known(arn) && !CERTIFICATE_ARN.test(arn)) {
      problems.push(`${arnKey} "${arn}" is not an ACM certificate ARN`);
    }
  }
  const seedRegion = known(props.seedCertificateArn)
    ? CERTIFICATE_ARN.exec(props.seedCertificateArn)?.[1]
    : undefined;
  if (seedRegion !== undefined && seedRegion !== 'us-east-1') {
    problems.push(
      `seedCertificateArn must be a certificate in us-east-1 (CloudFront's region), not ${seedRegion}`,
    );
  }
  if (!props.seedPaths && props.seedDomainName !== undefined) {
    problems.push('seedDomainName needs seedPaths: true (it names the seed paths distribution)');
  }
  if (props.seedPaths && props.stageName !== undefined && Token.isUnresolved(props.stageName)) {
    problems.push('seedPaths needs a stageName known at synth: it is written into the CloudFront function');
  }
  return problems;
}

function isHttpsUrl(value: string): boolean {
  return URL.canParse(value) && new URL(value).protocol === 'https:';
}

function isOrigin(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
}
