import { describe, expect, it } from 'vitest';
import { readContext } from '../../infra/context';
import {
  handlerEnvironment,
  type SettingKind,
  type SettingName,
  STACK_SETTINGS,
  settingNames,
} from '../../infra/settings';
import { usedLambdas } from '../../shared/app/routes';
import { environmentOf, resourcesOf, synth, VALID_PROPS } from './synth';

const contextOf = (values: Record<string, unknown>) => ({ tryGetContext: (key: string) => values[key] });

describe('handlerEnvironment (the props → handler env mapping of both stacks)', () => {
  it('turns given props into the variables shared/app/config.ts reads; empty ones are left out', () => {
    const env = handlerEnvironment({
      issuer: 'https://login.example.com',
      audience: ['a', 'b'],
      orgsPrefix: '',
      allowedOrigins: [],
      allowAnonymous: false,
      rateLimitPerMinute: 100_000,
      throttlingRateLimit: 5,
    });
    expect(env).toMatchObject({
      JWT_ISSUER: 'https://login.example.com',
      JWT_AUDIENCE: 'a,b',
      ALLOW_ANONYMOUS: 'false',
      RATE_LIMIT_PER_MINUTE: '100000',
    });
    expect(env).not.toHaveProperty('ORGS_PREFIX');
    expect(env).not.toHaveProperty('ALLOWED_ORIGINS');
    // Stage throttling is API Gateway's: no handler reads it.
    expect(Object.values(env)).not.toContain('5');
  });

  it('is exactly what every function of the synthesized stack gets', () => {
    const props = { ...VALID_PROPS, rateLimitPerMinute: 7, orgsPrefix: '/orgs/', allowAnonymous: false };
    const { template, functionId } = synth(props);
    for (const name of usedLambdas()) {
      expect(environmentOf(template, functionId(name))).toMatchObject(handlerEnvironment(props));
    }
  });
});

describe('The settings table', () => {
  it('reads every setting from context under its name, as its kind', () => {
    const sample: Record<SettingKind, string> = {
      string: 'x',
      list: 'a,b',
      number: '3',
      boolean: 'false',
      retention: '7',
      removal: 'destroy',
      routeThrottling: '{"$connect":{"rateLimit":1,"burstLimit":2}}',
    };
    const values = Object.fromEntries(settingNames.map((n) => [n, sample[STACK_SETTINGS[n].kind]]));
    const { props, problems } = readContext(contextOf(values));
    expect(problems).toEqual([]);
    for (const name of settingNames) {
      const { prop } = STACK_SETTINGS[name];
      if (prop) expect(props[prop], name).not.toBeUndefined();
    }
  });

  /**
   * Where a synthesized stack shows the default of each setting no handler reads: one without props, and
   * one with seedPaths (for what it writes into the CloudFront function's config).
   */
  const infrastructureDefaults: Partial<Record<SettingName, (t: Synthesized) => unknown>> = {
    seedPaths: ({ stack }) => String(stack.seedPaths !== undefined),
    seedChat: ({ seed }) => seed.chat,
    seedNotifications: ({ seed }) => seed.notifications,
    seedCounter: ({ seed }) => seed.counter,
    stageName: ({ stack }) => stack.webSocketApi.stageName,
    throttlingRateLimit: ({ template }) => webSocketStage(template).DefaultRouteSettings.ThrottlingRateLimit,
    throttlingBurstLimit: ({ template }) =>
      webSocketStage(template).DefaultRouteSettings.ThrottlingBurstLimit,
    webSocketRouteThrottling: ({ template }) => webSocketStage(template).RouteSettings,
    httpThrottlingRateLimit: ({ template }) => httpStage(template).DefaultRouteSettings.ThrottlingRateLimit,
    httpThrottlingBurstLimit: ({ template }) => httpStage(template).DefaultRouteSettings.ThrottlingBurstLimit,
    logRetentionDays: ({ template }) => retentions(template, (id) => !id.includes('AccessLogs')),
    accessLogRetentionDays: ({ template }) => retentions(template, (id) => id.includes('AccessLogs')),
    apiGatewayLoggingRole: ({ template }) =>
      String(resourcesOf(template, 'AWS::ApiGateway::Account').length === 1),
    tracing: ({ template }) =>
      String(
        resourcesOf(template, 'AWS::Lambda::Function').every(
          ([, r]) => (r.Properties.TracingConfig as { Mode?: string } | undefined)?.Mode === 'Active',
        ),
      ),
    tableRemovalPolicy: ({ template }) =>
      resourcesOf(template, 'AWS::DynamoDB::Table').map(
        ([, r]) => (r as { DeletionPolicy?: string }).DeletionPolicy,
      ),
  };
  const expected: Partial<Record<SettingName, (text: string) => unknown>> = {
    throttlingRateLimit: Number,
    throttlingBurstLimit: Number,
    httpThrottlingRateLimit: Number,
    httpThrottlingBurstLimit: Number,
    logRetentionDays: (days) => new Set([Number(days)]),
    accessLogRetentionDays: (days) => new Set([Number(days)]),
    webSocketRouteThrottling: (json) =>
      Object.fromEntries(
        Object.entries(JSON.parse(json) as Record<string, { rateLimit: number; burstLimit: number }>).map(
          ([route, t]) => [route, { ThrottlingRateLimit: t.rateLimit, ThrottlingBurstLimit: t.burstLimit }],
        ),
      ),
    tableRemovalPolicy: (policy) => [policy[0]!.toUpperCase() + policy.slice(1)],
  };

  it('states the defaults the constructs really apply, for the settings no handler reads', () => {
    const withDefault = settingNames.filter(
      (n) => STACK_SETTINGS[n].prop && !STACK_SETTINGS[n].env && STACK_SETTINGS[n].default !== undefined,
    );
    // A new infrastructure setting with a default needs a line above, so that --help cannot drift.
    expect(Object.keys(infrastructureDefaults).sort()).toEqual(withDefault.sort());
    const plain = synth(VALID_PROPS);
    const synthesized = { ...plain, seed: seedConfig(synth({ ...VALID_PROPS, seedPaths: true }).template) };
    for (const name of withDefault) {
      const text = STACK_SETTINGS[name].default!;
      expect(infrastructureDefaults[name]!(synthesized), name).toEqual((expected[name] ?? String)(text));
    }
  });
});

type Synthesized = ReturnType<typeof synth> & { seed: Record<string, string> };

/** The `const config = {…}` the stack writes in front of the seed paths function's code. */
function seedConfig(template: Template): Record<string, string> {
  const [[, fn] = []] = resourcesOf(template, 'AWS::CloudFront::Function');
  const code = String(fn?.Properties.FunctionCode);
  return JSON.parse(/const config = (\{.*?\});/.exec(code)?.[1] ?? '{}');
}

type Template = ReturnType<typeof synth>['template'];
type StageProperties = { DefaultRouteSettings: Record<string, number>; RouteSettings?: unknown };

/** The WebSocket stage (the HTTP API's is `$default`). */
const webSocketStage = (template: Template) => stage(template, (name) => name !== '$default');
const httpStage = (template: Template) => stage(template, (name) => name === '$default');

function stage(template: Template, which: (name: unknown) => boolean): StageProperties {
  const [found] = resourcesOf(template, 'AWS::ApiGatewayV2::Stage').filter(([, r]) =>
    which(r.Properties.StageName),
  );
  return found![1].Properties as StageProperties;
}

/** The retentions of the log groups whose logical id passes `which`. */
const retentions = (template: Template, which: (id: string) => boolean) =>
  new Set(
    resourcesOf(template, 'AWS::Logs::LogGroup')
      .filter(([id]) => which(id))
      .map(([, r]) => r.Properties.RetentionInDays),
  );
