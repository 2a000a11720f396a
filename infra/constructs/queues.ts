import { Duration, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { SwitchboardAlarms } from './alarms';

/** SQS's longest retention: whatever lands in a dead-letter queue waits as long as it can for someone to look. */
const DEAD_LETTER_RETENTION = Duration.days(14);

export interface DeadLetterQueueProps {
  /** The alarms its depth alarm joins. */
  readonly alarms: SwitchboardAlarms;
  /** The alarm name after the stack name, e.g. `live-stats-failures`. */
  readonly name: string;
  /** What lands here, for the alarm description and the acknowledgements: "failed asynchronous invocations of live-stats". */
  readonly holds: string;
  /**
   * Whether another SQS queue of the stack names this one in its redrive policy (cdk-nag then knows it
   * is a dead-letter queue; otherwise that is acknowledged here).
   * @default false
   */
  readonly redriveTarget?: boolean;
}

/**
 * A dead-letter queue: SQS-managed encryption, TLS only, 14 days' retention, and an alarm as soon as one
 * message is in it. Nothing consumes it: an operator reads it and redrives or deletes (docs/operations.md).
 */
export class DeadLetterQueue extends Construct {
  public readonly queue: Queue;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    props.alarms.add(this, 'DepthAlarm', {
      name: `${props.name}-dlq-depth`,
      description: `In a dead-letter queue: ${props.holds}. Runbook: docs/operations.md, "Dead-letter queue depth".`,
      metric: this.queue.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period: Duration.minutes(5),
      }),
      threshold: 1,
    });
    const reason = `This queue is itself a dead-letter queue (${props.holds}): nothing consumes it, so there is no queue to move its messages to. Its depth alarm fires on the first message.`;
    Validations.of(this.queue).acknowledge({ id: 'Serverless-SQSRedrivePolicy', reason });
    if (!props.redriveTarget) Validations.of(this.queue).acknowledge({ id: 'AwsSolutions-SQS3', reason });
  }
}

export interface MonitoredQueueProps {
  /** The alarms its age alarm and its dead-letter queue's depth alarm join. */
  readonly alarms: SwitchboardAlarms;
  /** The alarm names after the stack name, e.g. `fan-out`. */
  readonly name: string;
  /** What its messages are, for the alarm descriptions: "fan-out batches". */
  readonly holds: string;
  /** The oldest message waiting this long raises the age alarm. */
  readonly maxAge: Duration;
  /** Receives (failed processing attempts) before a message moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /**
   * How long a received message stays invisible: at least the consumer's timeout.
   * @default 30 seconds
   */
  readonly visibilityTimeout?: Duration;
}

/**
 * A work queue in one call: encrypted, TLS only, with its dead-letter queue, an age alarm on the queue and a
 * depth alarm on the dead-letter queue.
 */
export class MonitoredQueue extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: MonitoredQueueProps) {
    super(scope, id);
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetters', {
      alarms: props.alarms,
      name: props.name,
      holds: `${props.holds} that failed ${props.maxReceiveCount} times`,
      redriveTarget: true,
    }).queue;
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: props.visibilityTimeout,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
    props.alarms.add(this, 'AgeAlarm', {
      name: `${props.name}-queue-age`,
      description: `The oldest of the ${props.holds} has waited ${props.maxAge.toHumanString()} or more: the consumer is behind or failing. Runbook: docs/operations.md, "Queue age".`,
      metric: this.queue.metricApproximateAgeOfOldestMessage({
        statistic: 'Maximum',
        period: Duration.minutes(1),
      }),
      threshold: props.maxAge.toSeconds(),
      evaluationPeriods: 3,
    });
  }
}
