import { type RemovalPolicy, Token } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Schedule } from '../shared/app/routes';
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
   * WebSocket stage default route throttling: steady requests per second.
   * @default 1000
   */
  readonly throttlingRateLimit?: number;
  /**
   * WebSocket stage default route throttling: burst.
   * @default 2000
   */
  readonly throttlingBurstLimit?: number;
  /**
   * How long every function's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * What happens to the table (and its data) when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly tableRemovalPolicy?: RemovalPolicy;
  /**
   * The scheduled invocations. Only tests pass their own.
   * @default - the route table's `schedules` (shared/app/routes.ts)
   */
  readonly schedules?: readonly Schedule[];
}

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
    ['sensorRetentionDays', props.sensorRetentionDays, 1],
    ['throttlingRateLimit', props.throttlingRateLimit, 1],
    ['throttlingBurstLimit', props.throttlingBurstLimit, 1],
  ];
  for (const [name, value, min] of integers) {
    if (value !== undefined && !Token.isUnresolved(value) && !(Number.isInteger(value) && value >= min)) {
      problems.push(`${name} must be a whole number ≥ ${min}, got ${value}`);
    }
  }
  problems.push(...scheduleProblems(props.schedules ?? []));
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
