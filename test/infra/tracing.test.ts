import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { usedLambdas } from '../../shared/app/routes';
import { METRICS } from '../../shared/core/metrics';
import {
  actionsOf,
  environmentOf,
  flatten,
  type Resource,
  resourcesOf,
  statementsOf,
  synth,
  VALID_PROPS,
} from './synth';

const XRAY = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];

describe('When the stack is synthesized with its defaults', () => {
  const { stack, template, functionId } = synth();
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const roleOf = (name: Parameters<typeof functionId>[0]) => {
    const roleId = flatten(resources[functionId(name)]!.Properties.Role).match(/^\$\{(\w+)\.Arn\}$/)![1]!;
    return resources[roleId]!;
  };
  const [policyId, policy] = resourcesOf(template, 'AWS::IAM::ManagedPolicy')[0]!;

  it.each(usedLambdas())('%s traces actively with X-Ray', (name) => {
    expect(resources[functionId(name)]!.Properties.TracingConfig).toEqual({ Mode: 'Active' });
  });

  it('grants the X-Ray writes in one customer-managed policy that holds nothing else', () => {
    template.resourceCountIs('AWS::IAM::ManagedPolicy', 1);
    const statements = (policy.Properties.PolicyDocument as { Statement: Parameters<typeof actionsOf>[0][] })
      .Statement;
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatchObject({ Effect: 'Allow', Resource: '*' });
    expect(actionsOf(statements[0]!).sort()).toEqual([...XRAY].sort());
  });

  it.each(usedLambdas())(
    '%s has a role of its own: the tracing policy, no AWS-managed policy, logs to its own group only',
    (name) => {
      const role = roleOf(name);
      expect(role.Properties.ManagedPolicyArns).toEqual([{ Ref: policyId }]);
      const statements = statementsOf(template, functionId(name));
      const logs = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
      const logGroup = (
        resources[functionId(name)]!.Properties.LoggingConfig as { LogGroup: { Ref: string } }
      ).LogGroup.Ref;
      expect(logs).toEqual([
        {
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [logGroup, 'Arn'] },
        },
      ]);
      // No X-Ray statement in the function's own policy: `*` lives in the shared policy only.
      expect(statements.flatMap(actionsOf).filter((a) => a.startsWith('xray:'))).toEqual([]);
    },
  );

  it('gives no two functions the same role', () => {
    const roles = usedLambdas().map((name) => flatten(resources[functionId(name)]!.Properties.Role));
    expect(new Set(roles).size).toBe(usedLambdas().length);
  });

  it.each(usedLambdas())(
    '%s tells Powertools the metrics namespace and the stack name as its service (the `service` dimension)',
    (name) => {
      expect(environmentOf(template, functionId(name))).toMatchObject({
        POWERTOOLS_SERVICE_NAME: stack.stackName,
        POWERTOOLS_METRICS_NAMESPACE: METRICS.namespace,
      });
    },
  );
});

describe('When tracing is turned off', () => {
  const { template, functionId } = synth({ ...VALID_PROPS, tracing: false });
  const resources = template.toJSON().Resources as Record<string, Resource>;

  it('traces no function and has no tracing policy', () => {
    for (const name of usedLambdas())
      expect(resources[functionId(name)]!.Properties.TracingConfig).toBeUndefined();
    template.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
  });
});

describe('The metric names the handlers emit (shared/core/metrics.ts)', () => {
  it('are pure data: the module imports nothing, so a Lambda bundles it for free', () => {
    const source = readFileSync(new URL('../../shared/core/metrics.ts', import.meta.url), 'utf8');
    expect(source).not.toMatch(/^\s*import\s/m);
    expect(source).not.toMatch(/require\(/);
  });

  it('name the namespace, the service dimension and every metric the issue lists', () => {
    expect(METRICS.namespace).toBe('Switchboard');
    expect(METRICS.serviceDimension).toBe('service');
    expect(Object.keys(METRICS.metrics).sort()).toEqual(
      [
        'Connects',
        'ConnectRefusals',
        'Disconnects',
        'Frames',
        'Errors',
        'Publishes',
        'Deliveries',
        'GoneConnections',
        'FailedPosts',
        'QueuedRecipients', // the queued tier's (issue 10)
        'FanOutDuration',
        'RecoveredMessages',
        'RateLimitedFrames',
      ].sort(),
    );
    expect(METRICS.metrics.Errors.by).toBe('code');
    expect(METRICS.metrics.Frames.by).toBe('type');
    expect(METRICS.metrics.Publishes.by).toBe('namespace');
    expect(METRICS.metrics.ConnectRefusals.by).toBe('status');
    expect(METRICS.metrics.FanOutDuration.unit).toBe('Milliseconds');
  });
});
