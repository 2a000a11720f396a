import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, type NagPack, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { SwitchboardAlarms } from '../../infra/constructs/alarms';
import { MonitoredQueue } from '../../infra/constructs/queues';
import { SwitchboardStack, type SwitchboardStackProps } from '../../infra/stack';
import { httpRoutes, lambdas, queueTriggers, usedLambdas, webSocketRoutes } from '../../shared/app/routes';
import { cdkJsonContext, VALID_PROPS } from './synth';

/** Routes API Gateway does not authorize: WebSocket routes after $connect, public and optional-token HTTP routes. */
const UNAUTHORIZED_ROUTES =
  webSocketRoutes.filter((r) => !r.authorizer).length + httpRoutes.filter((r) => r.auth !== 'jwt').length;
/** Functions that post to connections: each role has the stage's `@connections/*`. */
const POSTING = usedLambdas().filter((n) => lambdas[n].access.manageConnections).length;

/** The two packs the issue asks for, as infra/app.ts registers them. */
const packs = (): NagPack[] => [new AwsSolutionsChecks(), new ServerlessChecks()];

interface Finding {
  rule: string;
  severity: string | undefined;
  path: string;
}

/** What cdk-nag reports on the app: findings nobody acknowledged (`raw`: acknowledged ones as well). */
function findings(app: App, { raw = false } = {}): Finding[] {
  return packs().flatMap((pack) => {
    // cdk-nag's own test entry point; to see the acknowledged findings too, its acknowledgement check is
    // switched off on this one pack instance.
    if (raw) (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
    return pack
      .validateScope(app)
      .violations.flatMap((v) =>
        v.violatingResources.map((r) => ({ rule: v.ruleName, severity: v.severity, path: r.constructPath! })),
      );
  });
}

/** Every `Validations.of(x).acknowledge(...)` in the tree: the construct path and the rule id. */
function acknowledgements(root: IConstruct): { path: string; rule: string; reason: string }[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          path: c.node.path,
          rule: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

/** Acknowledgements that match no finding (with acknowledgements ignored) at or below their construct. */
function stale(app: App): string[] {
  const all = findings(app, { raw: true });
  return acknowledgements(app)
    .filter(
      (ack) =>
        !all.some((f) => f.rule === ack.rule && (f.path === ack.path || f.path.startsWith(`${ack.path}/`))),
    )
    .map((ack) => `${ack.rule} at ${ack.path}`);
}

function appWith(props: SwitchboardStackProps): { app: App; stack: SwitchboardStack } {
  const app = new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [] } });
  return { app, stack: new SwitchboardStack(app, 'Nag', props) };
}

const countByRule = (list: Finding[]) =>
  list.reduce<Record<string, number>>((counts, f) => {
    const rule = f.rule.replace(/\[.*\]$/, '');
    counts[rule] = (counts[rule] ?? 0) + 1;
    return counts;
  }, {});

describe('When cdk-nag (AwsSolutions and Serverless) checks the stack with its defaults', () => {
  const { app, stack } = appWith(VALID_PROPS);
  const open = findings(app);
  const all = findings(app, { raw: true });
  const acks = acknowledgements(app);

  it('finds nothing that is neither fixed nor acknowledged, errors and warnings alike', () => {
    expect(open).toEqual([]);
  });

  it('acknowledges only what is inherent, on the construct it concerns', () => {
    expect(countByRule(all)).toEqual({
      'AwsSolutions-APIG4': UNAUTHORIZED_ROUTES, // 18 today
      'AwsSolutions-IAM5': POSTING + 1, // @connections/* of the stage (12 today), X-Ray's `*`
      'AwsSolutions-IAM4': 1, // the account's API Gateway logging role
      'AwsSolutions-SQS3': 3, // the three failure queues, which no queue names as its dead-letter queue
      'Serverless-SQSRedrivePolicy': 4, // the same three, and the fan-out queue's dead-letter queue
      'Serverless-LambdaDLQ': usedLambdas().length, // 16 invoked synchronously only, live-stats and after-connect, the fan-out worker
      'Serverless-LambdaEventSourceMappingDestination': queueTriggers.length, // SQS sources take none
    });
  });

  it('has no acknowledgement that matches no finding: each one still says something true', () => {
    expect(stale(app)).toEqual([]);
  });

  it('acknowledges nothing on the app or the stack as a whole, and every acknowledgement has a reason', () => {
    expect(acks.filter((a) => a.path === '' || a.path === stack.node.path)).toEqual([]);
    for (const ack of acks) expect(ack.reason.length, ack.rule).toBeGreaterThan(40);
  });

  it('acknowledges IAM wildcards one resource at a time, never a whole rule', () => {
    const iam5 = acks.filter((a) => a.rule.startsWith('AwsSolutions-IAM5'));
    expect(iam5.length).toBeGreaterThan(0);
    for (const ack of iam5) expect(ack.rule).toMatch(/^AwsSolutions-IAM5\[Resource::.+\]$/);
  });
});

describe('When cdk-nag checks a stack with everything optional turned on or off', () => {
  const { app } = appWith({
    ...VALID_PROPS,
    alarmEmail: 'oncall@example.com',
    tracing: false,
    stageName: 'dev',
    apiGatewayLoggingRole: false,
    webSocketRouteThrottling: {},
    seedPaths: true,
    seedDomainName: 'realtime.example.com',
    seedCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555',
    webSocketDomainName: 'ws.example.com',
    webSocketCertificateArn:
      'arn:aws:acm:eu-west-1:123456789012:certificate/66666666-7777-8888-9999-000000000000',
    httpDomainName: 'api.example.com',
    httpCertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/66666666-7777-8888-9999-000000000000',
  });
  const all = findings(app, { raw: true });

  it('still finds nothing unacknowledged', () => {
    expect(findings(app)).toEqual([]);
  });

  it('has no acknowledgement that matches no finding', () => {
    expect(stale(app)).toEqual([]);
  });

  it('acknowledges on the seed paths distribution what the WebSocket stage behind it does instead', () => {
    expect(
      all
        .filter((f) => f.path.startsWith('Nag/SeedPaths/'))
        .map((f) => f.rule)
        .sort(),
    ).toEqual(['AwsSolutions-CFR1', 'AwsSolutions-CFR2', 'AwsSolutions-CFR3']);
  });

  it('acknowledges that tracing was turned off, on each function, and the e-mail subscription without redrive', () => {
    expect(countByRule(all)).toMatchObject({
      'Serverless-LambdaTracing': usedLambdas().length,
      'Serverless-SNSRedrivePolicy': 1,
      'AwsSolutions-IAM5': POSTING,
    });
    expect(countByRule(all)['AwsSolutions-IAM4']).toBeUndefined();
  });
});

describe('When cdk-nag checks the seed paths distribution without a name of its own', () => {
  const { app } = appWith({ ...VALID_PROPS, seedPaths: true });

  it("finds nothing unacknowledged: CloudFront's default certificate is TLSv1 and cannot be raised", () => {
    expect(findings(app)).toEqual([]);
    expect(stale(app)).toEqual([]);
    expect(
      findings(app, { raw: true })
        .filter((f) => f.path.startsWith('Nag/SeedPaths/'))
        .map((f) => f.rule)
        .sort(),
    ).toEqual(['AwsSolutions-CFR1', 'AwsSolutions-CFR2', 'AwsSolutions-CFR3', 'AwsSolutions-CFR4']);
  });
});

describe('When a work queue is made with MonitoredQueue', () => {
  const app = new App();
  const stack = new Stack(app, 'Queues');
  const alarms = new SwitchboardAlarms(stack, 'Alarms');
  new MonitoredQueue(stack, 'FanOut', {
    alarms,
    name: 'fan-out',
    holds: 'fan-out batches',
    maxAge: Duration.minutes(1),
    maxReceiveCount: 3,
  });

  it('passes cdk-nag: only its dead-letter queue is acknowledged, as having no redrive of its own', () => {
    expect(findings(app)).toEqual([]);
    expect(findings(app, { raw: true }).map((f) => [f.rule, f.path])).toEqual([
      ['Serverless-SQSRedrivePolicy', 'Queues/FanOut/DeadLetters/Queue/Resource'],
    ]);
  });
});
