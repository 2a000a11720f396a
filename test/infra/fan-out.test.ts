import type { CfnElement } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../shared/app/defaults';
import { type LambdaName, lambdas, queueTriggers } from '../../shared/app/routes';
import {
  actionsOf,
  alarmsByName,
  environmentOf,
  resourcesOf,
  statementsOf,
  synth,
  VALID_PROPS,
} from './synth';

const [trigger] = queueTriggers;

describe('When the stack is synthesized with its defaults: the fan-out queue', () => {
  const { stack, template, functionId } = synth();
  const fanOut = stack.queues.get('fan-out')!;
  const id = (c: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(c.node.defaultChild as CfnElement);
  const queueId = id(fanOut.queue);
  const deadLettersId = id(fanOut.deadLetterQueue);
  const resources = template.toJSON().Resources as Record<string, { Properties: Record<string, unknown> }>;
  const [mappingId, mapping] = resourcesOf(template, 'AWS::Lambda::EventSourceMapping')[0]!;
  const names = [...stack.functions.keys()];
  const sqsStatements = (name: LambdaName) =>
    statementsOf(template, functionId(name)).filter((s) => JSON.stringify(s.Resource).includes(queueId));

  it('is one queue of the route table, encrypted, whose messages move to its dead-letter queue after maxReceiveCount', () => {
    expect(queueTriggers.map((q) => q.name)).toEqual(['fan-out']);
    expect(resources[queueId]!.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: trigger!.visibilityTimeoutSeconds,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [deadLettersId, 'Arn'] },
        maxReceiveCount: trigger!.maxReceiveCount,
      },
    });
    // AWS's advice for an event source's queue: a visibility timeout of six times the function's timeout.
    expect(trigger!.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(
      6 * lambdas['fan-out-worker'].timeoutSeconds,
    );
  });

  it('feeds the fan-out worker in batches, reporting partial batch failures, at most FANOUT_WORKERS at once', () => {
    expect(resourcesOf(template, 'AWS::Lambda::EventSourceMapping')).toHaveLength(1);
    expect(mapping.Properties).toEqual({
      FunctionName: { Ref: functionId('fan-out-worker') },
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      BatchSize: trigger!.batchSize,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: DEFAULTS.FANOUT_WORKERS },
    });
    expect(mappingId).toMatch(/FanOutWorker/);
  });

  it('lets the worker receive, delete and extend what it consumes, and send its continuations', () => {
    const actions = sqsStatements('fan-out-worker').flatMap(actionsOf).sort();
    expect(actions).toEqual(
      [
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:ReceiveMessage',
        'sqs:SendMessage',
      ].sort(),
    );
  });

  it('lets every function that delivers send to it, SendMessage and nothing else, and tells it the URL', () => {
    const senders = names.filter((n) => lambdas[n].access.fanOutQueue && n !== 'fan-out-worker');
    expect(senders.length).toBeGreaterThan(8);
    for (const name of senders) {
      expect(
        sqsStatements(name).map((s) => [actionsOf(s), s.Resource]),
        name,
      ).toEqual([[['sqs:SendMessage'], { 'Fn::GetAtt': [queueId, 'Arn'] }]]);
      expect(environmentOf(template, functionId(name)).FANOUT_QUEUE_URL, name).toEqual({ Ref: queueId });
    }
  });

  it('gives the functions that never deliver neither the permission nor the URL', () => {
    const others = names.filter((n) => !lambdas[n].access.fanOutQueue);
    expect(others).toEqual(
      expect.arrayContaining([
        'ws-authorizer',
        'ws-connect', // it posts to no audience: after-connect does
        'http-health',
        'http-stats',
        'http-channels',
        'http-live-push',
      ]),
    );
    for (const name of others) {
      expect(sqsStatements(name), name).toEqual([]);
      expect(environmentOf(template, functionId(name)).FANOUT_QUEUE_URL, name).toBeUndefined();
    }
  });

  it('tells every function the threshold and the quota, and alarms on the queue’s age and dead letters', () => {
    for (const name of names) {
      expect(environmentOf(template, functionId(name))).toMatchObject({
        FANOUT_QUEUE_THRESHOLD: String(DEFAULTS.FANOUT_QUEUE_THRESHOLD),
        MANAGEMENT_API_QUOTA: String(DEFAULTS.MANAGEMENT_API_QUOTA),
        FANOUT_WORKERS: String(DEFAULTS.FANOUT_WORKERS),
      });
    }
    const alarms = alarmsByName(template, stack.stackName);
    expect(alarms.get('fan-out-queue-age')).toMatchObject({ Threshold: trigger!.maxAgeSeconds });
    expect(alarms.get('fan-out-dlq-depth')).toMatchObject({ Threshold: 1 });
    expect(template.toJSON().Outputs.FanOutQueueUrl.Value).toEqual({ Ref: queueId });
  });
});

describe('When the fan-out properties are given', () => {
  const { template, functionId } = synth({
    ...VALID_PROPS,
    fanOutWorkers: 25,
    managementApiQuota: 2000,
    fanOutQueueThreshold: 500,
  });

  it('runs that many workers at most, and tells them the quota they share', () => {
    const [, mapping] = resourcesOf(template, 'AWS::Lambda::EventSourceMapping')[0]!;
    expect(mapping.Properties.ScalingConfig).toEqual({ MaximumConcurrency: 25 });
    expect(environmentOf(template, functionId('fan-out-worker'))).toMatchObject({
      FANOUT_WORKERS: '25',
      MANAGEMENT_API_QUOTA: '2000',
      FANOUT_QUEUE_THRESHOLD: '500',
    });
  });

  it('refuses a maximum concurrency the event source would refuse', () => {
    expect(() => synth({ ...VALID_PROPS, fanOutWorkers: 1 })).toThrow(
      /fanOutWorkers must be a whole number ≥ 2/,
    );
    expect(() => synth({ ...VALID_PROPS, fanOutWorkers: 1001 })).toThrow(
      /fanOutWorkers must be at most 1000/,
    );
  });
});
