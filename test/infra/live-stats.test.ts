import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { asyncInvocations, type LambdaName, schedules, usedLambdas } from '../../shared/app/routes';
import {
  actionsOf,
  environmentOf,
  flatten,
  mentions,
  type Resource,
  resourcesOf,
  statementsOf,
  synth,
  VALID_PROPS,
} from './synth';

const INVOKE = 'lambda:InvokeFunction';

describe('When the stack has the live-stats schedule of the route table', () => {
  const { template, functionId } = synth();
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const [ruleId, rule] = resourcesOf(template, 'AWS::Events::Rule')[0]!;

  it('has one rule, every minute, targeting the live-stats Lambda without retries', () => {
    expect(schedules).toEqual([{ name: 'live-stats', lambda: 'live-stats', everyMinutes: 1 }]);
    template.resourceCountIs('AWS::Events::Rule', 1);
    expect(rule.Properties).toMatchObject({
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [functionId('live-stats'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 0 },
        },
      ],
    });
  });

  it('lets EventBridge invoke live-stats for that rule only', () => {
    const permissions = resourcesOf(template, 'AWS::Lambda::Permission').filter(
      ([, p]) => p.Properties.Principal === 'events.amazonaws.com',
    );
    expect(permissions.map(([, p]) => p.Properties)).toEqual([
      {
        Action: INVOKE,
        Principal: 'events.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': [functionId('live-stats'), 'Arn'] },
        SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
      },
    ]);
  });

  it('gives live-stats time for its minute of pushes', () => {
    expect(resources[functionId('live-stats')]!.Properties.Timeout).toBeGreaterThan(60);
  });

  it('lets each Lambda that starts another invoke exactly that one, and tells it its name', () => {
    expect(asyncInvocations).toEqual([
      { from: 'http-live-push', to: 'live-stats', env: 'LIVE_STATS_FUNCTION_NAME' },
      { from: 'ws-connect', to: 'after-connect', env: 'AFTER_CONNECT_FUNCTION_NAME' },
    ]);
    for (const { from, to, env } of asyncInvocations) {
      const grants = statementsOf(template, functionId(from)).filter((s) => actionsOf(s).includes(INVOKE));
      expect(grants).toEqual([
        { Action: INVOKE, Effect: 'Allow', Resource: { 'Fn::GetAtt': [functionId(to), 'Arn'] } },
      ]);
      expect(environmentOf(template, functionId(from))[env]).toEqual({ Ref: functionId(to) });
    }
  });

  const starters = new Set<LambdaName>(asyncInvocations.map((a) => a.from));
  it.each(usedLambdas().filter((n) => !starters.has(n)))('%s may invoke no Lambda', (name) => {
    const grants = statementsOf(template, functionId(name)).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('lambda:')),
    );
    expect(grants).toEqual([]);
    for (const { env } of asyncInvocations)
      expect(environmentOf(template, functionId(name))[env]).toBeUndefined();
  });

  const started = new Set<LambdaName>(asyncInvocations.map((a) => a.to));
  it.each([...started])(
    'never has Lambda retry a failed %s invocation, and keeps the failure in its queue',
    (name) => {
      const [, config] = resourcesOf(template, 'AWS::Lambda::EventInvokeConfig').find(([, c]) =>
        mentions(c.Properties.FunctionName, functionId(name)),
      )!;
      expect(config.Properties).toMatchObject({ Qualifier: '$LATEST', MaximumRetryAttempts: 0 });
      const destination = (config.Properties.DestinationConfig as { OnFailure: { Destination: unknown } })
        .OnFailure.Destination;
      expect(resources[flatten(destination).match(/^\$\{(\w+)\.Arn\}$/)![1]!]!.Type).toBe('AWS::SQS::Queue');
    },
  );

  it.each(usedLambdas().filter((n) => !started.has(n)))(
    '%s has no asynchronous-invocation settings: only API Gateway invokes it, synchronously',
    (name) => {
      const configs = resourcesOf(template, 'AWS::Lambda::EventInvokeConfig').filter(([, c]) =>
        mentions(c.Properties.FunctionName, functionId(name)),
      );
      expect(configs).toEqual([]);
    },
  );
});

describe('When the routes of seeds 000 and 001 are synthesized', () => {
  const { template } = synth(VALID_PROPS);

  it.each([
    ['POST /v1/rooms/{room}/messages', ['realtime:publish', 'realtime:admin']],
    ['POST /v1/locations', ['realtime:publish', 'realtime:admin']],
    ['POST /v1/counters/{name}', ['realtime:publish', 'realtime:admin']],
    ['GET /v1/live-push', ['realtime:admin']],
    ['POST /v1/live-push', ['realtime:admin']],
    ['DELETE /v1/live-push', ['realtime:admin']],
    ['DELETE /v1/connections/{id}', ['realtime:admin']],
  ])('%s needs a token with one of %j', (routeKey, scopes) => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: routeKey,
      AuthorizationType: 'JWT',
      AuthorizationScopes: scopes,
    });
  });

  it('POST /v1/notifications takes any valid token (the handler checks who may notify whom)', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /v1/notifications',
      AuthorizationType: 'JWT',
      AuthorizationScopes: Match.absent(),
    });
  });

  it.each(['GET /v1/stats', 'GET /v1/counters/{name}'])('%s is open to anyone', (routeKey) => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: routeKey,
      AuthorizationType: 'NONE',
    });
  });

  it('routes chat_message frames to ws-message', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'chat_message' });
  });
});
