import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { DEFAULT_STACK_NAME, type SettingKind, STACK_SETTINGS, settingNames } from './settings';
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
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid context:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

/**
 * The stack's props from CDK context: `cdk synth -c issuer=https://… -c audience=a,b -c stageName=dev`.
 * Values given on the command line are strings (lists comma-separated); values in cdk.json may be JSON.
 * Anything not given keeps the stack's default.
 */
export function settingsFromContext(node: Pick<Node, 'tryGetContext'>): AppSettings {
  const { stackName, props, problems } = readContext(node);
  if (problems.length > 0) throw new InvalidContextError(problems);
  const placeholderAuth = props.issuer === undefined && props.audience === undefined;
  return {
    stackName,
    props: placeholderAuth
      ? { ...props, issuer: PLACEHOLDER_ISSUER, audience: [PLACEHOLDER_AUDIENCE] }
      : props,
    placeholderAuth,
  };
}

export interface ContextReading {
  stackName: string;
  /** Only what the context gives: no placeholders. */
  props: SwitchboardStackProps;
  /** Values that cannot be read as their setting's kind; such a prop is left unset. */
  problems: string[];
}

/** Every setting of infra/settings.ts read from context, problems listed rather than thrown (npm start -c). */
export function readContext(node: Pick<Node, 'tryGetContext'>): ContextReading {
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
    if (v.trim() !== '' && !Number.isNaN(n)) return n;
    problems.push(`-c ${key}=${v}: not a number`);
    return undefined;
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
    if (days === undefined) return undefined;
    if (Object.values(RetentionDays).includes(days)) return days as RetentionDays;
    problems.push(`-c ${key}=${days}: not a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, …)`);
    return undefined;
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
  const readers: Record<SettingKind, (key: string) => unknown> = {
    string: str,
    list,
    number: num,
    boolean: bool,
    retention,
    removal,
    routeThrottling,
  };

  const props: Record<string, unknown> = {};
  for (const name of settingNames) {
    const { prop, kind } = STACK_SETTINGS[name];
    if (prop !== undefined) props[prop] = readers[kind](name);
  }
  return {
    stackName: str('stackName') ?? DEFAULT_STACK_NAME,
    // Each reader returns its kind's type, and settings.ts checks that kind against the property's type.
    props: props as SwitchboardStackProps,
    problems,
  };
}
