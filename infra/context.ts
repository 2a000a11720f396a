import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import type { SeedChat, SeedNotifications } from '../edge/index';
import type { RouteThrottling, SwitchboardStackProps } from './stack-props';

/** Stand-ins that let `cdk synth` run with no context at all; a warning says to replace them before deploying. */
export const PLACEHOLDER_ISSUER = 'https://set-issuer-before-deploying.invalid';
export const PLACEHOLDER_AUDIENCE = 'set-audience-before-deploying';

export interface AppSettings {
  /** @default 'Switchboard' */
  readonly stackName: string;
  readonly props: SwitchboardStackProps;
  /** True when no issuer was given and the placeholders stand in for it. */
  readonly placeholderAuth: boolean;
}

/** Problems with the context values themselves (not numbers, unknown names); all of them in one message. */
export class InvalidContextError extends Error {
  override name = 'InvalidContextError';
}

/**
 * The stack's props from CDK context: `cdk synth -c issuer=https://… -c audience=a,b -c stageName=dev`.
 * Values given on the command line are strings (lists comma-separated); values in cdk.json may be JSON.
 * Anything not given keeps the stack's default.
 */
export function settingsFromContext(node: Pick<Node, 'tryGetContext'>): AppSettings {
  const problems: string[] = [];
  const raw = (key: string): unknown => node.tryGetContext(key);
  const str = (key: string): string | undefined => {
    const v = raw(key);
    return v === undefined || v === null ? undefined : String(v);
  };
  const list = (key: string): string[] | undefined => {
    const v = raw(key);
    if (v === undefined || v === null) return undefined;
    const items = Array.isArray(v) ? v.map(String) : String(v).split(',');
    return items.map((s) => s.trim()).filter(Boolean);
  };
  const num = (key: string): number | undefined => {
    const v = str(key);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (v.trim() === '' || Number.isNaN(n)) problems.push(`-c ${key}=${v}: not a number`);
    return n;
  };
  const bool = (key: string): boolean | undefined => {
    const v = str(key);
    if (v === undefined) return undefined;
    if (v === 'true' || v === 'false') return v === 'true';
    problems.push(`-c ${key}=${v}: expected true or false`);
    return undefined;
  };
  const retention = (key: string): RetentionDays | undefined => {
    const days = num(key);
    if (days === undefined || Number.isNaN(days)) return undefined;
    if (!Object.values(RetentionDays).includes(days)) {
      problems.push(`-c ${key}=${days}: not a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, …)`);
    }
    return days as RetentionDays;
  };
  /** `{"$connect":{"rateLimit":100,"burstLimit":200}}`: JSON on the command line, or an object in cdk.json. */
  const routeThrottling = (key: string): Record<string, RouteThrottling> | undefined => {
    const v = raw(key);
    if (v === undefined || v === null) return undefined;
    let parsed: unknown = v;
    if (typeof v === 'string') {
      try {
        parsed = JSON.parse(v);
      } catch {
        problems.push(`-c ${key}=${v}: not JSON`);
        return undefined;
      }
    }
    const isThrottling = (t: unknown): t is RouteThrottling =>
      typeof t === 'object' &&
      t !== null &&
      typeof (t as RouteThrottling).rateLimit === 'number' &&
      typeof (t as RouteThrottling).burstLimit === 'number';
    if (
      typeof parsed !== 'object' ||
      parsed === null ||
      Array.isArray(parsed) ||
      !Object.values(parsed).every(isThrottling)
    ) {
      problems.push(`-c ${key}: expected {"<route key>": {"rateLimit": n, "burstLimit": n}, …}`);
      return undefined;
    }
    return parsed as Record<string, RouteThrottling>;
  };
  const removal = (key: string): RemovalPolicy | undefined => {
    const v = str(key);
    if (v === undefined) return undefined;
    const policy = {
      retain: RemovalPolicy.RETAIN,
      destroy: RemovalPolicy.DESTROY,
      snapshot: RemovalPolicy.SNAPSHOT,
    }[v.toLowerCase()];
    if (!policy) problems.push(`-c ${key}=${v}: expected retain, destroy or snapshot`);
    return policy;
  };

  const issuer = str('issuer');
  const audience = list('audience');
  const placeholderAuth = issuer === undefined && audience === undefined;
  const props: SwitchboardStackProps = {
    stageName: str('stageName'),
    issuer: placeholderAuth ? PLACEHOLDER_ISSUER : issuer,
    audience: placeholderAuth ? [PLACEHOLDER_AUDIENCE] : audience,
    jwksUrl: str('jwksUrl'),
    jwtAlgorithms: list('jwtAlgorithms'),
    orgsClaim: str('orgsClaim'),
    orgsPrefix: str('orgsPrefix'),
    usernameClaims: list('usernameClaims'),
    allowAnonymous: bool('allowAnonymous'),
    allowedOrigins: list('allowedOrigins'),
    rateLimitPerMinute: num('rateLimitPerMinute'),
    maxChannelsPerConnection: num('maxChannelsPerConnection'),
    maxConnectionsPerUser: num('maxConnectionsPerUser'),
    presenceAnnounceMax: num('presenceAnnounceMax'),
    maxDataBytes: num('maxDataBytes'),
    sensorRetentionDays: num('sensorRetentionDays'),
    throttlingRateLimit: num('throttlingRateLimit'),
    throttlingBurstLimit: num('throttlingBurstLimit'),
    webSocketRouteThrottling: routeThrottling('webSocketRouteThrottling'),
    httpThrottlingRateLimit: num('httpThrottlingRateLimit'),
    httpThrottlingBurstLimit: num('httpThrottlingBurstLimit'),
    logRetention: retention('logRetentionDays'),
    accessLogRetention: retention('accessLogRetentionDays'),
    apiGatewayLoggingRole: bool('apiGatewayLoggingRole'),
    tracing: bool('tracing'),
    alarmEmail: str('alarmEmail'),
    tableRemovalPolicy: removal('tableRemovalPolicy'),
    seedPaths: bool('seedPaths'),
    // Checked with the other props (stack-props.ts), which names the allowed values.
    seedChat: str('seedChat') as SeedChat | undefined,
    seedNotifications: str('seedNotifications') as SeedNotifications | undefined,
    seedCounter: str('seedCounter'),
    seedDomainName: str('seedDomainName'),
    seedCertificateArn: str('seedCertificateArn'),
    webSocketDomainName: str('webSocketDomainName'),
    webSocketCertificateArn: str('webSocketCertificateArn'),
    httpDomainName: str('httpDomainName'),
    httpCertificateArn: str('httpCertificateArn'),
  };
  if (problems.length > 0) {
    throw new InvalidContextError(`Invalid context:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  return { stackName: str('stackName') ?? 'Switchboard', props, placeholderAuth };
}
