import { Stack, Validations } from 'aws-cdk-lib';
import {
  Alarm,
  type AlarmProps,
  AlarmStatusWidget,
  ComparisonOperator,
  type IMetric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface SwitchboardAlarmsProps {
  /**
   * An e-mail address subscribed to the topic (SNS mails a confirmation link first).
   * @default - no subscription: subscribe whatever pages you to the `AlarmTopicArn` output
   */
  readonly email?: string;
}

export interface AlarmOptions {
  /** The alarm name after the stack name: `{stack}-{name}`. */
  readonly name: string;
  /** What it means and where the runbook is (docs/operations.md). */
  readonly description: string;
  readonly metric: IMetric;
  /** The alarm fires at this value or above. */
  readonly threshold: number;
  /**
   * Consecutive periods looked at, and how many of them must breach.
   * @default 1 of 1
   */
  readonly evaluationPeriods?: number;
  readonly datapointsToAlarm?: number;
}

/**
 * The SNS topic every alarm notifies, on firing and on clearing, and `add()` for one alarm: the same
 * defaults everywhere (at or above the threshold; no data is not a breach, because most of these metrics are
 * only emitted when something happens).
 */
export class SwitchboardAlarms extends Construct {
  public readonly topic: Topic;
  private readonly list: Alarm[] = [];

  constructor(scope: Construct, id: string, props: SwitchboardAlarmsProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    this.topic = new Topic(this, 'Topic', { displayName: `${stack.stackName} alarms`, enforceSSL: true });
    // The topic policy replaces SNS's default one (enforceSSL), so CloudWatch needs saying that it may publish:
    // only this account's alarms.
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm:*' }) },
          StringEquals: { 'aws:SourceAccount': stack.account },
        },
      }),
    );
    if (props.email) {
      const subscription = this.topic.addSubscription(new EmailSubscription(props.email));
      Validations.of(subscription).acknowledge({
        id: 'Serverless-SNSRedrivePolicy',
        reason:
          'An alarm e-mail that SNS cannot deliver has nowhere better to go: a dead-letter queue would be alarmed ' +
          'through this same topic. The alarm state and its history stay in CloudWatch either way.',
      });
    }
  }

  /** Every alarm added so far. */
  public get alarms(): readonly Alarm[] {
    return this.list;
  }

  /** A dashboard widget with the state of every alarm, also of those added after it (it reads the list at synth). */
  public statusWidget(): AlarmStatusWidget {
    return new AlarmStatusWidget({ title: 'Alarms', alarms: this.list, width: 24, height: 6 });
  }

  /** One alarm on `metric`, notifying the topic when it fires and when it clears. */
  public add(scope: Construct, id: string, options: AlarmOptions): Alarm {
    const props: AlarmProps = {
      alarmName: `${Stack.of(this).stackName}-${options.name}`,
      alarmDescription: options.description,
      metric: options.metric,
      threshold: options.threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      datapointsToAlarm: options.datapointsToAlarm ?? options.evaluationPeriods ?? 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    };
    const alarm = new Alarm(scope, id, props);
    const action = new SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.list.push(alarm);
    return alarm;
  }
}
