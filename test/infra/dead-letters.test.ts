import { App, type CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { SwitchboardAlarms } from '../../infra/constructs/alarms';
import { MonitoredQueue } from '../../infra/constructs/queues';
import {
  actionsOf,
  alarmsByName,
  flatten,
  mentions,
  type Resource,
  resourcesOf,
  statementsOf,
  synth,
  VALID_PROPS,
} from './synth';

const idOfArn = (arn: unknown) => flatten(arn).match(/^\$\{(\w+)\.Arn\}$/)![1]!;

describe('When the stack is synthesized with its defaults', () => {
  const { stack, template, functionId } = synth();
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const alarms = alarmsByName(template, stack.stackName);
  const queues = resourcesOf(template, 'AWS::SQS::Queue');
  /** The on-failure configuration of a function invoked asynchronously, and its queue. */
  const failuresOf = (name: 'live-stats' | 'after-connect') => {
    const [, config] = resourcesOf(template, 'AWS::Lambda::EventInvokeConfig').find(([, c]) =>
      mentions(c.Properties.FunctionName, functionId(name)),
    )!;
    const queueId = idOfArn(
      (config.Properties.DestinationConfig as { OnFailure: { Destination: unknown } }).OnFailure.Destination,
    );
    return { config, queueId };
  };
  const { config, queueId: failuresId } = failuresOf('live-stats');
  const { queueId: afterConnectFailuresId } = failuresOf('after-connect');
  const [, rule] = resourcesOf(template, 'AWS::Events::Rule')[0]!;
  const [target] = rule.Properties.Targets as { DeadLetterConfig: { Arn: unknown }; RetryPolicy: unknown }[];
  const ticksId = idOfArn(target!.DeadLetterConfig.Arn);
  const policyOf = (queueId: string) =>
    resourcesOf(template, 'AWS::SQS::QueuePolicy').find(([, p]) => mentions(p.Properties.Queues, queueId))![1]
      .Properties.PolicyDocument as { Statement: Record<string, unknown>[] };

  const fanOut = stack.queues.get('fan-out')!;
  const fanOutIds = [fanOut.queue, fanOut.deadLetterQueue].map((q) =>
    stack.getLogicalId(q.node.defaultChild as CfnElement),
  );

  it('has exactly three failure queues besides the fan-out queue and its dead letters (test/infra/fan-out.test.ts): the live-stats and after-connect failures, the undelivered schedule ticks', () => {
    expect(queues.map(([id]) => id).sort()).toEqual(
      [failuresId, afterConnectFailuresId, ticksId, ...fanOutIds].sort(),
    );
    expect(new Set([failuresId, afterConnectFailuresId, ticksId]).size).toBe(3);
  });

  it('sends the failed asynchronous invocations of live-stats to its queue, without retries', () => {
    expect(config.Properties).toMatchObject({
      FunctionName: { Ref: functionId('live-stats') },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 0,
    });
  });

  it('lets live-stats and after-connect send to their own failure queue (Lambda delivers with the function role), and to no other', () => {
    const own = new Map([
      ['live-stats', failuresId],
      ['after-connect', afterConnectFailuresId],
    ]);
    for (const name of stack.functions.keys()) {
      const sends = statementsOf(template, functionId(name)).filter(
        // the fan-out queue: test/infra/fan-out.test.ts
        (s) => actionsOf(s).includes('sqs:SendMessage') && !mentions(s.Resource, fanOutIds[0]!),
      );
      const queue = own.get(name);
      expect(sends.map((s) => s.Resource)).toEqual(queue ? [{ 'Fn::GetAtt': [queue, 'Arn'] }] : []);
    }
  });

  it('gives the schedule target a dead-letter queue that only this rule may send to', () => {
    expect(target!.RetryPolicy).toEqual({ MaximumRetryAttempts: 0 });
    const allow = policyOf(ticksId).Statement.filter((s) => s.Effect === 'Allow');
    expect(allow).toEqual([
      expect.objectContaining({
        Action: 'sqs:SendMessage',
        Principal: { Service: 'events.amazonaws.com' },
        Condition: {
          ArnEquals: {
            'aws:SourceArn': { 'Fn::GetAtt': [resourcesOf(template, 'AWS::Events::Rule')[0]![0], 'Arn'] },
          },
        },
      }),
    ]);
  });

  it.each([
    ['live-stats failures', () => failuresId],
    ['after-connect failures', () => afterConnectFailuresId],
    ['undelivered ticks', () => ticksId],
  ])('keeps the %s queue encrypted (SQS-managed), for 14 days, reachable over TLS only', (_, id) => {
    expect(resources[id()]!.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1209600,
    });
    expect(policyOf(id()).Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 'sqs:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  it.each([
    ['live-stats-failures-dlq-depth', () => failuresId],
    ['after-connect-failures-dlq-depth', () => afterConnectFailuresId],
    ['schedule-undelivered-dlq-depth', () => ticksId],
  ])('alarms (%s) on the first message in each dead-letter queue', (name, id) => {
    expect(alarms.get(name)).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id(), 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });
});

describe('When a schedule targets another function (a test schedule)', () => {
  const { template, functionId } = synth({
    ...VALID_PROPS,
    schedules: [{ name: 'test-tick', lambda: 'http-health', everyMinutes: 1 }],
  });

  it('gives that function a failure queue of its own as well', () => {
    const targets = resourcesOf(template, 'AWS::Lambda::EventInvokeConfig').map(([, c]) =>
      flatten(c.Properties.FunctionName),
    );
    expect(targets.sort()).toEqual(
      [
        `\${${functionId('http-health')}}`,
        `\${${functionId('live-stats')}}`,
        `\${${functionId('after-connect')}}`,
      ].sort(),
    );
  });
});

describe('When a work queue is made with MonitoredQueue (one call: queue, dead-letter queue, alarms)', () => {
  const stack = new Stack(new App(), 'Queues');
  const alarms = new SwitchboardAlarms(stack, 'Alarms');
  const made = new MonitoredQueue(stack, 'FanOut', {
    alarms,
    name: 'fan-out',
    holds: 'fan-out batches',
    maxAge: Duration.minutes(2),
    maxReceiveCount: 3,
    visibilityTimeout: Duration.seconds(60),
  });
  const template = Template.fromStack(stack);
  const byName = alarmsByName(template, 'Queues');
  const id = (construct: typeof made.queue) => stack.getLogicalId(construct.node.defaultChild as CfnElement);

  it('moves a message received three times to its dead-letter queue', () => {
    const queue = template.toJSON().Resources[id(made.queue)];
    expect(queue.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 60,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [id(made.deadLetterQueue), 'Arn'] },
        maxReceiveCount: 3,
      },
    });
  });

  it('alarms when the oldest message has waited the maximum age for three minutes', () => {
    expect(byName.get('fan-out-queue-age')).toMatchObject({
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id(made.queue), 'QueueName'] } }],
      Threshold: 120,
      EvaluationPeriods: 3,
      Period: 60,
    });
  });

  it('alarms on the first message in the dead-letter queue, and notifies the topic of both', () => {
    expect(byName.get('fan-out-dlq-depth')).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id(made.deadLetterQueue), 'QueueName'] } }],
      Threshold: 1,
    });
    expect(alarms.alarms).toHaveLength(2);
    for (const alarm of byName.values())
      expect(alarm.AlarmActions).toEqual([
        { Ref: stack.getLogicalId(alarms.topic.node.defaultChild as CfnElement) },
      ]);
  });
});
