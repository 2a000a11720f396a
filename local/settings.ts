import { type SettingName, STACK_SETTINGS, type StackSetting, settingNames } from '../infra/settings';
import type { SwitchboardStackProps } from '../infra/stack-props';

/**
 * The stack's settings in the local stack (`npm start -- -c name=value`), with the names and values
 * `cdk deploy -c` takes (infra/settings.ts). A setting the handlers read reaches them through the same
 * `handlerEnvironment` the CDK stack uses (local/env.ts). The others configure AWS infrastructure: each is
 * refused here when accepting it would mislead, or accepted with a notice that it has no local effect.
 */
export type LocalStackProps = Omit<SwitchboardStackProps, 'schedules'>;

export type LocalEffect =
  | { effect: 'handlers' }
  /** It sets what the emulator does in place of the AWS resource (start-args.ts maps it). */
  | { effect: 'emulator'; why: string }
  | { effect: 'refused'; why: string }
  | { effect: 'none'; why: string };

type Elsewhere = Exclude<LocalEffect, { effect: 'handlers' }>;
const refused = (why: string): Elsewhere => ({ effect: 'refused', why });
const none = (why: string): Elsewhere => ({ effect: 'none', why });
const emulator = (why: string): Elsewhere => ({ effect: 'emulator', why });

const OWN_ISSUER = refused(
  'the local stack is its own token issuer (npm run token), so tokens of another one would not verify',
);
const NO_THROTTLING = none('the emulator does not throttle');
const LOCALHOST = none('the local stack answers on localhost');
const PLAIN = none('the local stack speaks plain ws:// and http://');

/** The settings no handler reads; one missing here has no local effect (e.g. a new infrastructure one). */
const LOCALLY: Partial<Record<SettingName, Elsewhere>> = {
  issuer: OWN_ISSUER,
  audience: OWN_ISSUER,
  jwksUrl: OWN_ISSUER,
  stackName: none('there is no CloudFormation stack'),
  stageName: none('the local WebSocket stage is always /local'),
  throttlingRateLimit: NO_THROTTLING,
  throttlingBurstLimit: NO_THROTTLING,
  webSocketRouteThrottling: NO_THROTTLING,
  httpThrottlingRateLimit: NO_THROTTLING,
  httpThrottlingBurstLimit: NO_THROTTLING,
  accessLogRetentionDays: none(
    'the emulator writes no access logs (--verbose logs every request to the terminal)',
  ),
  apiGatewayLoggingRole: none('there is no AWS account'),
  tracing: none('there is no X-Ray locally'),
  alarmEmail: none('there are no alarms locally'),
  logRetentionDays: none('logs go to the terminal'),
  tableRemovalPolicy: none('the table stays in --data-dir, or in memory with --memory'),
  seedPaths: emulator(
    'true serves the seed paths as the distribution does, on --seed-port or else any free port',
  ),
  seedChat: emulator('the same as --seed-chat'),
  seedNotifications: emulator('the same as --seed-notifications'),
  seedCounter: emulator('the same as --seed-counter'),
  seedDomainName: LOCALHOST,
  seedCertificateArn: PLAIN,
  webSocketDomainName: LOCALHOST,
  webSocketCertificateArn: PLAIN,
  httpDomainName: LOCALHOST,
  httpCertificateArn: PLAIN,
};

export function localEffect(name: SettingName): LocalEffect {
  const setting: StackSetting = STACK_SETTINGS[name];
  if (setting.env !== undefined && !LOCALLY[name]) return { effect: 'handlers' };
  return LOCALLY[name] ?? { effect: 'none', why: 'it configures AWS infrastructure only' };
}

/** Problems of props given to `startLocalStack` in code: unknown names and the refused settings. */
export function localPropsProblems(props: LocalStackProps): string[] {
  const problems: string[] = [];
  for (const [prop, value] of Object.entries(props)) {
    if (value === undefined) continue;
    const name = settingNames.find((n) => STACK_SETTINGS[n].prop === prop);
    if (name === undefined) problems.push(`stackProps.${prop}: not a stack property`);
    else if (localEffect(name).effect === 'refused') problems.push(refusal(name, `stackProps.${prop}`));
  }
  return problems;
}

const refusal = (name: SettingName, given = `-c ${name}`): string => {
  const effect = localEffect(name);
  return `${given}: refused locally: ${effect.effect === 'refused' ? effect.why : ''}`;
};

export interface StackContext {
  props: LocalStackProps;
  /** `-c name=value` as given, for the start banner. */
  given: { name: SettingName; value: string }[];
  /** One line per accepted setting that does nothing locally. */
  notices: string[];
  /** Everything wrong with the `-c` values, each in a line; empty when the start may go on. */
  problems: string[];
}

/**
 * `-c name=value` pairs (repeatable; a later one wins, as with cdk) read exactly as `cdk deploy -c` reads
 * them (infra/context.ts) and checked as the stack checks its props (infra/stack-props.ts). Those two load
 * aws-cdk-lib (about half a second), so they are imported only when some `-c` is given.
 */
export async function readStackContext(pairs: readonly string[]): Promise<StackContext> {
  const problems: string[] = [];
  const values = new Map<SettingName, string>();
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const key = at === -1 ? pair : pair.slice(0, at);
    if (at <= 0) {
      problems.push(`-c ${pair}: expected name=value`);
    } else if (!isSettingName(key)) {
      const near = nearest(key);
      problems.push(
        `-c ${key}: not a stack property${near ? ` (did you mean ${near}?)` : ''}; npm start -- --help lists them`,
      );
    } else if (localEffect(key).effect === 'refused') {
      problems.push(refusal(key));
    } else {
      values.delete(key);
      values.set(key, pair.slice(at + 1));
    }
  }
  if (values.size === 0) return { props: {}, given: [], notices: [], problems };

  const [{ readContext }, { stackPropsProblems }] = await Promise.all([
    import('../infra/context'),
    import('../infra/stack-props'),
  ]);
  const reading = readContext({ tryGetContext: (key: string) => values.get(key as SettingName) });
  problems.push(...reading.problems);
  // No routes need an issuer here: the dev issuer is always there (and issuer itself is refused above).
  problems.push(...stackPropsProblems(reading.props, []));
  const given = [...values].map(([name, value]) => ({ name, value }));
  const notices = given.flatMap(({ name }) => {
    const effect = localEffect(name);
    return effect.effect === 'none' ? [`-c ${name} has no local effect: ${effect.why}`] : [];
  });
  return { props: reading.props, given, notices, problems };
}

function isSettingName(key: string): key is SettingName {
  return Object.hasOwn(STACK_SETTINGS, key);
}

/** The setting a mistyped name most likely meant: same letters in another case, or two edits away. */
function nearest(key: string): SettingName | undefined {
  const lower = key.toLowerCase();
  return (
    settingNames.find((n) => n.toLowerCase() === lower) ??
    settingNames.find((n) => editDistance(n.toLowerCase(), lower) <= 2)
  );
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        previous[j]! + 1,
        row[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = row;
  }
  return previous[b.length]!;
}

const PLACEHOLDER: Record<StackSetting['kind'], string> = {
  string: '<text>',
  list: '<a,b,…>',
  number: '<n>',
  boolean: 'true|false',
  retention: '<days>',
  removal: 'retain|destroy|snapshot',
  routeThrottling: '{"<route key>":{"rateLimit":n,"burstLimit":n},…}',
};

/** The stack properties part of `npm start -- --help`, from the table itself. */
export function settingsHelp(): string {
  const rows = settingNames.map((name) => {
    const setting: StackSetting = STACK_SETTINGS[name];
    const effect = localEffect(name);
    const lines = [`${setting.help}${setting.default === undefined ? '' : ` Default: ${setting.default}.`}`];
    if (effect.effect === 'refused') lines.push(`Refused locally: ${effect.why}.`);
    if (effect.effect === 'none') lines.push(`No local effect: ${effect.why}.`);
    if (effect.effect === 'emulator') lines.push(`Locally: ${effect.why}.`);
    return { key: `${name}=${PLACEHOLDER[setting.kind]}`, lines };
  });
  return rows.map(({ key, lines }) => [`  ${key}`, ...lines.map((l) => `      ${l}`)].join('\n')).join('\n');
}
