import { Duration, Stack } from 'aws-cdk-lib';
import {
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  type MetricOptions,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import { Operation, type Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS, type MetricName } from '../../shared/core/metrics';
import type { SwitchboardAlarms } from './alarms';
import { type FunctionsByName, type SwitchboardFunction, TABLE_ACTIONS } from './function';
import type { SwitchboardHttpApi } from './http-api';
import type { SwitchboardWebSocketApi } from './websocket-api';

/**
 * Where each alarm fires (at or above). Periods are five minutes unless said otherwise; docs/operations.md
 * says what each one means and what to do.
 */
export const ALARM_THRESHOLDS = {
  /** Invocations of one function that failed (an uncaught error or a timeout), in five minutes. */
  lambdaErrors: 5,
  /** Invocations of one function that Lambda refused for want of concurrency, in five minutes. */
  lambdaThrottles: 1,
  /** HTTP API answers 5xx, in five minutes. */
  http5xx: 5,
  /** WebSocket requests whose integration could not be called or failed (API Gateway's ExecutionError). */
  webSocketExecutionErrors: 5,
  /** p99 integration latency (ms) of either API, three five-minute periods in a row. */
  integrationLatencyP99Ms: 3000,
  /** DynamoDB requests throttled, all operations of the table, in five minutes. */
  dynamoThrottledRequests: 1,
  /** Posts to connections that failed (410 Gone aside), in percent of all posts, over five minutes ... */
  failedPostPercent: 5,
  /** ... once there were at least this many posts in those five minutes (a few posts prove nothing). */
  failedPostMinimum: 20,
} as const;

const FIVE_MINUTES = Duration.minutes(5);
const ONE_MINUTE = Duration.minutes(1);

export interface SwitchboardMonitoringProps {
  readonly alarms: SwitchboardAlarms;
  readonly functions: FunctionsByName;
  readonly webSocketApi: SwitchboardWebSocketApi;
  readonly httpApi: SwitchboardHttpApi;
  readonly table: Table;
  /** The dead-letter queues (their alarms exist already; the dashboard shows their depth). */
  readonly deadLetterQueues: readonly IQueue[];
  /** The work queues by name (the fan-out queue; their age alarms exist already): the dashboard shows their backlog. */
  readonly workQueues: ReadonlyMap<string, IQueue>;
  /** The `service` dimension value of Switchboard's own metrics: the stack name (shared/core/metrics.ts). */
  readonly service: string;
}

/**
 * The alarms on the functions, both APIs, the table and the failed-post rate, and one CloudWatch dashboard
 * with them and the traffic (connections, frames and deliveries per second).
 */
export class SwitchboardMonitoring extends Construct {
  public readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: SwitchboardMonitoringProps) {
    super(scope, id);
    const { alarms, functions, webSocketApi, httpApi, table, service } = props;
    const T = ALARM_THRESHOLDS;
    const own = (name: MetricName, options: MetricOptions = {}) =>
      new Metric({
        namespace: METRICS.namespace,
        metricName: name,
        dimensionsMap: { [METRICS.serviceDimension]: service },
        statistic: 'Sum',
        period: ONE_MINUTE,
        ...options,
      });
    const webSocket = (metricName: string, options: MetricOptions = {}) =>
      new Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        dimensionsMap: { ApiId: webSocketApi.api.apiId, Stage: webSocketApi.stageName },
        statistic: 'Sum',
        period: ONE_MINUTE,
        ...options,
      });

    for (const [name, fn] of functions) {
      alarms.add(this, `${fn.node.id}Errors`, {
        name: `${name}-errors`,
        description: `${name}: ${T.lambdaErrors} or more failed invocations in 5 minutes. Runbook: docs/operations.md, "Lambda errors".`,
        metric: fn.function.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
        threshold: T.lambdaErrors,
      });
      alarms.add(this, `${fn.node.id}Throttles`, {
        name: `${name}-throttles`,
        description: `${name}: Lambda refused invocations for want of concurrency. Runbook: docs/operations.md, "Lambda throttles".`,
        metric: fn.function.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }),
        threshold: T.lambdaThrottles,
      });
    }

    const http5xx = httpApi.api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' });
    alarms.add(this, 'Http5xx', {
      name: 'http-5xx',
      description: `The HTTP API answered 5xx ${T.http5xx} or more times in 5 minutes. Runbook: docs/operations.md, "API 5xx".`,
      metric: http5xx,
      threshold: T.http5xx,
    });
    const wsExecutionErrors = webSocket('ExecutionError', { period: FIVE_MINUTES });
    alarms.add(this, 'WebSocketExecutionErrors', {
      name: 'websocket-execution-errors',
      description: `The WebSocket API failed to call a handler ${T.webSocketExecutionErrors} or more times in 5 minutes (its 5xx). Runbook: docs/operations.md, "API 5xx".`,
      metric: wsExecutionErrors,
      threshold: T.webSocketExecutionErrors,
    });
    const latency = {
      http: httpApi.api.metricIntegrationLatency({
        period: FIVE_MINUTES,
        statistic: 'p99',
        label: 'HTTP p99',
      }),
      webSocket: webSocket('IntegrationLatency', {
        period: FIVE_MINUTES,
        statistic: 'p99',
        label: 'WebSocket p99',
      }),
    };
    for (const [key, metric] of Object.entries(latency)) {
      const api = key === 'http' ? 'HTTP' : 'WebSocket';
      alarms.add(this, `${api}IntegrationLatency`, {
        name: `${key === 'http' ? 'http' : 'websocket'}-integration-latency-p99`,
        description: `The ${api} API's p99 integration latency has been ${T.integrationLatencyP99Ms} ms or more for 15 minutes. Runbook: docs/operations.md, "Integration latency".`,
        metric,
        threshold: T.integrationLatencyP99Ms,
        evaluationPeriods: 3,
      });
    }

    // SUM([...]), not `a + b + …` (which CDK's metricThrottledRequestsForOperations writes): CloudWatch emits
    // ThrottledRequests only for an operation that was throttled, and a sum with one term missing is missing.
    const tableThrottles = new MathExpression({
      expression: `SUM([${TABLE_OPERATIONS.map((op) => op.toLowerCase()).join(', ')}])`,
      usingMetrics: Object.fromEntries(
        TABLE_OPERATIONS.map((op) => [
          op.toLowerCase(),
          new Metric({
            namespace: 'AWS/DynamoDB',
            metricName: 'ThrottledRequests',
            dimensionsMap: { TableName: table.tableName, Operation: op },
            statistic: 'Sum',
            period: FIVE_MINUTES,
          }),
        ]),
      ),
      period: FIVE_MINUTES,
      label: 'throttled requests, all operations',
    });
    alarms.add(this, 'DynamoThrottles', {
      name: 'dynamodb-throttled-requests',
      description:
        'DynamoDB throttled requests to the table. Runbook: docs/operations.md, "DynamoDB throttled requests".',
      metric: tableThrottles,
      threshold: T.dynamoThrottledRequests,
    });

    const failedPostRate = new MathExpression({
      // SUM([d, f]) counts what is there (both metrics are emitted only when something happened); no failed
      // posts leaves the rate missing, which is not a breach.
      expression: `IF(SUM([d, f]) >= ${T.failedPostMinimum}, 100 * f / SUM([d, f]), 0)`,
      usingMetrics: {
        d: own('Deliveries', { period: FIVE_MINUTES }),
        f: own('FailedPosts', { period: FIVE_MINUTES }),
      },
      period: FIVE_MINUTES,
      label: 'failed posts, % of posts',
    });
    const failedPostAlarm = alarms.add(this, 'FailedPostRate', {
      name: 'failed-post-rate',
      description: `${T.failedPostPercent}% or more of the posts to connections failed (410 Gone aside) in 5 minutes with ${T.failedPostMinimum} or more posts. Runbook: docs/operations.md, "Failed-post rate".`,
      metric: failedPostRate,
      threshold: T.failedPostPercent,
    });

    const stack = Stack.of(this);
    // Ids unique within the dashboard: two expressions of one graph may not both call their metric `m`.
    let ids = 0;
    const perSecond = (metric: Metric, label: string): IMetric => {
      const id = `m${++ids}`;
      return new MathExpression({
        expression: `${id} / PERIOD(${id})`,
        usingMetrics: { [id]: metric },
        label,
        period: metric.period,
      });
    };
    const byDimension = (name: MetricName, dimension: string, statistic = 'Sum') =>
      new MathExpression({
        expression: `SEARCH('{${METRICS.namespace},${METRICS.serviceDimension},${dimension}} MetricName="${name}" ${METRICS.serviceDimension}="${service}"', '${statistic}', 60)`,
        usingMetrics: {},
        label: '',
        period: ONE_MINUTE,
      });
    const eachFunction = (metric: (fn: SwitchboardFunction) => Metric) =>
      [...functions].map(([name, fn]) => metric(fn).with({ label: name }));
    const graph = (title: string, left: IMetric[], width = 8) =>
      new GraphWidget({ title, left, width, height: 6, period: ONE_MINUTE });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `${stack.stackName}-${stack.region}`,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# ${stack.stackName}\nAlarms: SNS topic in the stack outputs (AlarmTopicArn). What each alarm means and what to do: docs/operations.md.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph('Connections per second', [
        perSecond(own('Connects'), 'connects/s'),
        perSecond(own('Disconnects'), 'disconnects/s'),
        perSecond(own('ConnectRefusals'), 'refusals/s'),
        perSecond(webSocket('ConnectCount'), 'API Gateway $connect/s'),
      ]),
      graph('Frames and deliveries per second', [
        perSecond(own('Frames'), 'frames/s'),
        perSecond(own('Deliveries'), 'deliveries/s'),
        perSecond(own('GoneConnections'), 'gone/s'),
        perSecond(own('FailedPosts'), 'failed posts/s'),
        perSecond(webSocket('MessageCount'), 'API Gateway messages/s'),
      ]),
      graph('Publishes and HTTP requests per second', [
        perSecond(own('Publishes'), 'publishes/s'),
        perSecond(httpApi.api.metricCount({ period: ONE_MINUTE, statistic: 'Sum' }), 'HTTP requests/s'),
        perSecond(own('RecoveredMessages'), 'recovered messages/s'),
        perSecond(own('RateLimitedFrames'), 'rate-limited frames/s'),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Errors by code', [byDimension('Errors', 'code')]),
      graph('Refusals by status, frames by type', [
        byDimension('ConnectRefusals', 'status'),
        byDimension('Frames', 'type'),
      ]),
      graph('Fan-out duration (ms)', [
        own('FanOutDuration', { statistic: 'p50', label: 'p50' }),
        own('FanOutDuration', { statistic: 'p99', label: 'p99' }),
      ]),
    );
    // The queued tier: what goes to the fan-out workers, and how far behind they are.
    const workQueues = [...props.workQueues];
    this.dashboard.addWidgets(
      graph('Queued recipients per second', [perSecond(own('QueuedRecipients'), 'queued recipients/s')]),
      graph(
        'Work queues: oldest message (s)',
        workQueues.map(([name, q]) =>
          q.metricApproximateAgeOfOldestMessage({ period: ONE_MINUTE, statistic: 'Maximum', label: name }),
        ),
      ),
      graph(
        'Work queues: messages waiting',
        workQueues.map(([name, q]) =>
          q.metricApproximateNumberOfMessagesVisible({
            period: ONE_MINUTE,
            statistic: 'Maximum',
            label: name,
          }),
        ),
      ),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Failed-post rate (%)',
        left: [failedPostRate],
        leftAnnotations: [failedPostAlarm.toAnnotation()],
        width: 8,
        height: 6,
      }),
      new GraphWidget({
        title: 'Integration latency p99 (ms)',
        left: [latency.http, latency.webSocket],
        leftAnnotations: [{ value: T.integrationLatencyP99Ms, label: 'alarm' }],
        width: 8,
        height: 6,
      }),
      graph('API errors', [
        http5xx.with({ label: 'HTTP 5xx' }),
        httpApi.api.metricClientError({ period: FIVE_MINUTES, statistic: 'Sum', label: 'HTTP 4xx' }),
        wsExecutionErrors.with({ label: 'WebSocket execution errors' }),
        webSocket('IntegrationError', { period: FIVE_MINUTES, label: 'WebSocket integration 4xx/5xx' }),
        webSocket('ClientError', { period: FIVE_MINUTES, label: 'WebSocket client errors' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'Lambda errors',
        eachFunction((fn) => fn.function.metricErrors({ period: FIVE_MINUTES })),
      ),
      graph(
        'Lambda throttles',
        eachFunction((fn) => fn.function.metricThrottles({ period: FIVE_MINUTES })),
      ),
      graph(
        'Lambda duration p99 (ms)',
        eachFunction((fn) => fn.function.metricDuration({ period: FIVE_MINUTES, statistic: 'p99' })),
      ),
    );
    this.dashboard.addWidgets(
      graph('DynamoDB throttled requests', [tableThrottles]),
      graph('DynamoDB capacity consumed', [
        table.metricConsumedReadCapacityUnits({ period: ONE_MINUTE, label: 'read units' }),
        table.metricConsumedWriteCapacityUnits({ period: ONE_MINUTE, label: 'write units' }),
      ]),
      graph(
        'Dead-letter queues (messages)',
        props.deadLetterQueues.map((q) =>
          q.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }),
        ),
      ),
    );
    this.dashboard.addWidgets(alarms.statusWidget());
  }
}

/**
 * The DynamoDB operations whose throttling is alarmed: every one the functions are granted (TABLE_ACTIONS),
 * as CloudWatch names them (ConditionCheckItem is part of a transaction, not an operation of its own).
 */
const TABLE_OPERATIONS: Operation[] = TABLE_ACTIONS.readwrite.flatMap((action) => {
  const operation = Object.values(Operation).find((op) => `dynamodb:${op}` === action);
  return operation ? [operation] : [];
});
