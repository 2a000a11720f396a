import { describe, expect, it } from 'vitest';
import { TABLE_ACTIONS } from '../../infra/constructs/function';
import { ALARM_THRESHOLDS } from '../../infra/constructs/monitoring';
import { queueTriggers, usedLambdas } from '../../shared/app/routes';
import { METRICS } from '../../shared/core/metrics';
import { alarmsByName, flatten, resourcesOf, synth, VALID_PROPS } from './synth';

interface MetricStat {
  Id: string;
  Expression?: string;
  MetricStat?: {
    Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: unknown }[] };
    Stat: string;
    Period: number;
  };
}

describe('When the stack is synthesized with its defaults', () => {
  const { stack, template, functionId } = synth();
  const alarms = alarmsByName(template, stack.stackName);
  const [topicId] = resourcesOf(template, 'AWS::SNS::Topic')[0]!;
  const [httpApiId] = resourcesOf(template, 'AWS::ApiGatewayV2::Api').find(
    ([, a]) => a.Properties.ProtocolType === 'HTTP',
  )!;
  const [wsApiId] = resourcesOf(template, 'AWS::ApiGatewayV2::Api').find(
    ([, a]) => a.Properties.ProtocolType === 'WEBSOCKET',
  )!;
  const [tableId] = resourcesOf(template, 'AWS::DynamoDB::Table')[0]!;
  const metricsOf = (name: string) => alarms.get(name)!.Metrics as MetricStat[];

  it('has the alarms of every function, both APIs, the table, the failed-post rate, each dead-letter queue and each work queue’s age, and no other', () => {
    expect([...alarms.keys()].sort()).toEqual(
      [
        ...usedLambdas().flatMap((n) => [`${n}-errors`, `${n}-throttles`]),
        'http-5xx',
        'websocket-execution-errors',
        'http-integration-latency-p99',
        'websocket-integration-latency-p99',
        'dynamodb-throttled-requests',
        'failed-post-rate',
        'live-stats-failures-dlq-depth',
        'after-connect-failures-dlq-depth',
        'schedule-undelivered-dlq-depth',
        // the fan-out queue (test/infra/fan-out.test.ts, dead-letters.test.ts)
        ...queueTriggers.flatMap((q) => [`${q.name}-queue-age`, `${q.name}-dlq-depth`]),
      ].sort(),
    );
  });

  it('names every alarm after the stack and notifies the topic when it fires and when it clears', () => {
    for (const [name, alarm] of alarms) {
      expect(alarm.AlarmName).toBe(`${stack.stackName}-${name}`);
      expect(alarm.AlarmActions, name).toEqual([{ Ref: topicId }]);
      expect(alarm.OKActions, name).toEqual([{ Ref: topicId }]);
      expect(alarm.TreatMissingData, name).toBe('notBreaching');
      expect(alarm.AlarmDescription, name).toMatch(/Runbook: docs\/operations\.md, ".+"/);
    }
  });

  it.each(usedLambdas())('alarms on errors and on throttles of %s', (name) => {
    expect(alarms.get(`${name}-errors`)).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId(name) } }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: ALARM_THRESHOLDS.lambdaErrors,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(alarms.get(`${name}-throttles`)).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Throttles',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId(name) } }],
      Statistic: 'Sum',
      Threshold: 1,
    });
  });

  it('alarms on 5xx answers of the HTTP API', () => {
    expect(alarms.get('http-5xx')).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: [{ Name: 'ApiId', Value: { Ref: httpApiId } }],
      Statistic: 'Sum',
      Threshold: ALARM_THRESHOLDS.http5xx,
    });
  });

  it("alarms on the WebSocket API's execution errors, its 5xx (the stage has no 5xx metric)", () => {
    expect(alarms.get('websocket-execution-errors')).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: 'ExecutionError',
      Dimensions: [
        { Name: 'ApiId', Value: { Ref: wsApiId } },
        { Name: 'Stage', Value: 'prod' },
      ],
      Statistic: 'Sum',
    });
  });

  it.each([
    ['http-integration-latency-p99', () => [{ Name: 'ApiId', Value: { Ref: httpApiId } }]],
    [
      'websocket-integration-latency-p99',
      () => [
        { Name: 'ApiId', Value: { Ref: wsApiId } },
        { Name: 'Stage', Value: 'prod' },
      ],
    ],
  ])('%s: p99 integration latency over the threshold for three periods in a row', (name, dimensions) => {
    const alarm = alarms.get(name)!;
    expect(alarm).toMatchObject({
      Threshold: ALARM_THRESHOLDS.integrationLatencyP99Ms,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
    });
    const [metric] = metricsOf(name);
    expect(metric!.MetricStat).toMatchObject({
      Metric: { Namespace: 'AWS/ApiGateway', MetricName: 'IntegrationLatency', Dimensions: dimensions() },
      Stat: 'p99',
      Period: 300,
    });
  });

  it('alarms on throttled requests to the table, summed over every operation the functions may use', () => {
    const metrics = metricsOf('dynamodb-throttled-requests');
    const [expression] = metrics.filter((m) => m.Expression);
    const stats = metrics.filter((m) => m.MetricStat);
    expect(expression!.Expression).toBe(`SUM([${stats.map((m) => m.Id).join(', ')}])`);
    const operations = stats.map((m) => {
      expect(m.MetricStat!.Metric).toMatchObject({
        Namespace: 'AWS/DynamoDB',
        MetricName: 'ThrottledRequests',
      });
      expect(m.MetricStat!.Metric.Dimensions).toContainEqual({ Name: 'TableName', Value: { Ref: tableId } });
      return m.MetricStat!.Metric.Dimensions.find((d) => d.Name === 'Operation')!.Value;
    });
    expect(operations.sort()).toEqual(
      TABLE_ACTIONS.readwrite
        .map((a) => a.replace('dynamodb:', ''))
        .filter((a) => a !== 'ConditionCheckItem')
        .sort(),
    );
    expect(alarms.get('dynamodb-throttled-requests')!.Threshold).toBe(1);
  });

  it("alarms on the failed-post rate, from the handlers' own metrics of this stack, once there are enough posts", () => {
    const metrics = metricsOf('failed-post-rate');
    const expression = metrics.find((m) => m.Expression)!.Expression!;
    const byName = Object.fromEntries(
      metrics.filter((m) => m.MetricStat).map((m) => [m.MetricStat!.Metric.MetricName, m]),
    );
    expect(Object.keys(byName).sort()).toEqual(['Deliveries', 'FailedPosts']);
    for (const m of Object.values(byName)) {
      expect(m.MetricStat!.Metric).toMatchObject({
        Namespace: METRICS.namespace,
        Dimensions: [{ Name: METRICS.serviceDimension, Value: stack.stackName }],
      });
      expect(m.MetricStat!.Stat).toBe('Sum');
    }
    const d = byName.Deliveries!.Id;
    const f = byName.FailedPosts!.Id;
    expect(expression).toBe(
      `IF(SUM([${d}, ${f}]) >= ${ALARM_THRESHOLDS.failedPostMinimum}, 100 * ${f} / SUM([${d}, ${f}]), 0)`,
    );
    expect(alarms.get('failed-post-rate')!.Threshold).toBe(ALARM_THRESHOLDS.failedPostPercent);
  });

  it('publishes only over TLS, and lets CloudWatch alarms of this account publish', () => {
    const [, policy] = resourcesOf(template, 'AWS::SNS::TopicPolicy')[0]!;
    const statements = (policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] })
      .Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    const cloudwatch = statements.find((s) => s.Effect === 'Allow')!;
    expect(cloudwatch).toMatchObject({
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
    });
    const conditions = cloudwatch.Condition as { ArnLike: Record<string, unknown>; StringEquals: unknown };
    expect(flatten(conditions.ArnLike['aws:SourceArn'])).toBe(
      `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:*`,
    );
    expect(conditions.StringEquals).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
  });

  it('outputs the topic ARN, and subscribes no e-mail unless told', () => {
    template.hasOutput('AlarmTopicArn', { Value: { Ref: topicId } });
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('When an alarm e-mail is given', () => {
  const { template } = synth({ ...VALID_PROPS, alarmEmail: 'oncall@example.com' });

  it('subscribes it to the alarm topic', () => {
    const [topicId] = resourcesOf(template, 'AWS::SNS::Topic')[0]!;
    template.resourceCountIs('AWS::SNS::Subscription', 1);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: { Ref: topicId },
    });
  });
});

describe("When the WebSocket stage is 'dev'", () => {
  const { stack, template } = synth({ ...VALID_PROPS, stageName: 'dev' });

  it('reads the WebSocket metrics of that stage', () => {
    expect(
      alarmsByName(template, stack.stackName).get('websocket-execution-errors')!.Dimensions,
    ).toContainEqual({
      Name: 'Stage',
      Value: 'dev',
    });
  });
});
