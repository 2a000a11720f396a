import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidContextError,
  PLACEHOLDER_AUDIENCE,
  PLACEHOLDER_ISSUER,
  settingsFromContext,
} from '../../infra/context';
import { projectRoot } from '../../infra/project';
import { synth } from './synth';

const contextOf = (values: Record<string, unknown>) => ({ tryGetContext: (key: string) => values[key] });

describe('When no context is given', () => {
  const settings = settingsFromContext(contextOf({}));

  it('stands in clearly named placeholders for issuer and audience', () => {
    expect(settings.placeholderAuth).toBe(true);
    expect(settings.props.issuer).toBe(PLACEHOLDER_ISSUER);
    expect(settings.props.audience).toEqual([PLACEHOLDER_AUDIENCE]);
    expect(settings.stackName).toBe('Switchboard');
  });

  it('leaves every other prop to the stack default, and those props make a valid stack', () => {
    const { issuer, audience, ...rest } = settings.props;
    expect(Object.values(rest).every((v) => v === undefined)).toBe(true);
    expect(() => synth(settings.props)).not.toThrow();
  });
});

describe('When context is given on the command line', () => {
  const settings = settingsFromContext(
    contextOf({
      stackName: 'SwitchboardDev',
      stageName: 'dev',
      issuer: 'https://login.example.com',
      audience: 'switchboard, console',
      allowAnonymous: 'false',
      rateLimitPerMinute: '250',
      logRetentionDays: '7',
      tableRemovalPolicy: 'destroy',
    }),
  );

  it('turns the strings into typed props', () => {
    expect(settings.placeholderAuth).toBe(false);
    expect(settings.stackName).toBe('SwitchboardDev');
    expect(settings.props).toMatchObject({
      stageName: 'dev',
      issuer: 'https://login.example.com',
      audience: ['switchboard', 'console'],
      allowAnonymous: false,
      rateLimitPerMinute: 250,
      logRetention: RetentionDays.ONE_WEEK,
      tableRemovalPolicy: RemovalPolicy.DESTROY,
    });
  });

  it('reads the operations settings: throttling, retention, tracing, the alarm e-mail, the account role', () => {
    const ops = settingsFromContext(
      contextOf({
        httpThrottlingRateLimit: '50',
        httpThrottlingBurstLimit: '100',
        webSocketRouteThrottling: '{"$connect":{"rateLimit":10,"burstLimit":20}}',
        accessLogRetentionDays: '90',
        tracing: 'false',
        alarmEmail: 'oncall@example.com',
        apiGatewayLoggingRole: 'false',
      }),
    );
    expect(ops.props).toMatchObject({
      httpThrottlingRateLimit: 50,
      httpThrottlingBurstLimit: 100,
      webSocketRouteThrottling: { $connect: { rateLimit: 10, burstLimit: 20 } },
      accessLogRetention: RetentionDays.THREE_MONTHS,
      tracing: false,
      alarmEmail: 'oncall@example.com',
      apiGatewayLoggingRole: false,
    });
  });

  it('takes the route throttling as an object from cdk.json as well', () => {
    const throttling = { publish: { rateLimit: 5, burstLimit: 10 } };
    expect(settingsFromContext(contextOf({ webSocketRouteThrottling: throttling })).props).toMatchObject({
      webSocketRouteThrottling: throttling,
    });
  });

  it('accepts JSON lists from cdk.json as well', () => {
    expect(
      settingsFromContext(contextOf({ issuer: 'https://x', audience: ['a', 'b'] })).props.audience,
    ).toEqual(['a', 'b']);
  });

  it('keeps an issuer given without audience, so that the stack reports it', () => {
    const only = settingsFromContext(contextOf({ issuer: 'https://login.example.com' }));
    expect(only.placeholderAuth).toBe(false);
    expect(only.props.audience).toBeUndefined();
  });
});

describe('When context values are malformed', () => {
  it('reports every malformed value in one error', () => {
    const read = () =>
      settingsFromContext(
        contextOf({
          rateLimitPerMinute: 'lots',
          allowAnonymous: 'yes',
          logRetentionDays: '2',
          tableRemovalPolicy: 'keep',
          webSocketRouteThrottling: '{"$connect":',
          tracing: 'maybe',
        }),
      );
    expect(read).toThrow(InvalidContextError);
    for (const problem of [
      '-c rateLimitPerMinute=lots: not a number',
      '-c allowAnonymous=yes: expected true or false',
      '-c logRetentionDays=2: not a CloudWatch Logs retention',
      '-c tableRemovalPolicy=keep: expected retain, destroy or snapshot',
      '-c webSocketRouteThrottling={"$connect":: not JSON',
      '-c tracing=maybe: expected true or false',
    ]) {
      expect(read).toThrow(problem);
    }
  });
});

describe('When the route throttling is JSON of the wrong shape', () => {
  it('says what shape it expects', () => {
    expect(() =>
      settingsFromContext(contextOf({ webSocketRouteThrottling: '{"$connect":{"rateLimit":10}}' })),
    ).toThrow('-c webSocketRouteThrottling: expected {"<route key>": {"rateLimit": n, "burstLimit": n}, …}');
  });
});

describe('When infra/app.ts runs with no context (as `cdk synth` does)', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'switchboard-app-'));
  let metadata: Record<string, { type: string; data: unknown }[]>;

  beforeAll(async () => {
    await promisify(execFile)(path.join(projectRoot, 'node_modules/.bin/tsx'), ['infra/app.ts'], {
      cwd: projectRoot,
      env: {
        ...process.env,
        CDK_OUTDIR: outdir,
        // Bundling is tested in bundling.test.ts; here only the app's wiring matters.
        CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [] }),
      },
    });
    metadata = JSON.parse(readFileSync(path.join(outdir, 'Switchboard.metadata.json'), 'utf8'));
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('synthesizes the Switchboard stack', () => {
    const template = JSON.parse(readFileSync(path.join(outdir, 'Switchboard.template.json'), 'utf8'));
    expect(
      Object.values(template.Resources).some(
        (r) => (r as { Type: string }).Type === 'AWS::ApiGatewayV2::Api',
      ),
    ).toBe(true);
  });

  it('warns that the issuer is a placeholder to replace before deploying', () => {
    const entries = Object.values(metadata).flat();
    const warnings = entries.filter((e) => e.type === 'aws:cdk:warning').map((e) => String(e.data));
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/Set -c issuer=https:\/\/… -c audience=… before deploying/),
      ]),
    );
  });
});
