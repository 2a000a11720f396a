import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { Grant, type IGrantable, ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { EventSourceMapping } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Construct } from 'constructs';
import { seedPathsConfig } from '../edge/index';
import {
  asyncInvocations,
  httpRouteKey,
  httpRoutes,
  type LambdaName,
  lambdas,
  queueSenders,
  queueTriggers,
  ROUTE_SELECTION_EXPRESSION,
  schedules as tableSchedules,
  usedLambdas,
  webSocketRoutes,
} from '../shared/app/routes';
import { SwitchboardAlarms } from './constructs/alarms';
import { SwitchboardApiDomain } from './constructs/api-domain';
import { constructIdOf, functionNamed, SwitchboardFunction } from './constructs/function';
import { SwitchboardHttpApi } from './constructs/http-api';
import { SwitchboardMonitoring } from './constructs/monitoring';
import { DeadLetterQueue, MonitoredQueue } from './constructs/queues';
import { SwitchboardSchedules } from './constructs/schedules';
import { SwitchboardSeedPaths } from './constructs/seed-paths';
import { SwitchboardTable } from './constructs/table';
import { SwitchboardWebSocketApi } from './constructs/websocket-api';
import { handlerEnvironment } from './settings';
import {
  DEFAULT_WEBSOCKET_ROUTE_THROTTLING,
  InvalidStackPropsError,
  type SwitchboardStackProps,
  stackPropsProblems,
} from './stack-props';

export type { SwitchboardStackProps } from './stack-props';
export { InvalidStackPropsError } from './stack-props';

/**
 * The whole of Switchboard in AWS: the table, one function per Lambda of the route table, the WebSocket
 * API, the HTTP API, the schedules and the queues with their event sources, all created by iterating
 * shared/app/routes.ts; and what runs it in production: dead-letter queues, alarms on one SNS topic, a
 * dashboard.
 */
export class SwitchboardStack extends Stack {
  public readonly table: SwitchboardTable;
  public readonly functions: ReadonlyMap<LambdaName, SwitchboardFunction>;
  public readonly webSocketApi: SwitchboardWebSocketApi;
  public readonly httpApi: SwitchboardHttpApi;
  public readonly schedules: SwitchboardSchedules;
  /** The route table's queues (`queueTriggers`) by name: the fan-out queue. */
  public readonly queues: ReadonlyMap<string, MonitoredQueue>;
  /** The seed paths distribution, with `seedPaths: true`. */
  public readonly seedPaths?: SwitchboardSeedPaths;
  /** The custom domain names of the APIs, where given. */
  public readonly webSocketDomain?: SwitchboardApiDomain;
  public readonly httpDomain?: SwitchboardApiDomain;
  public readonly alarms: SwitchboardAlarms;
  public readonly monitoring: SwitchboardMonitoring;

  constructor(scope: Construct, id: string, props: SwitchboardStackProps & StackProps = {}) {
    const jwtRoutes = httpRoutes.filter((r) => r.auth === 'jwt').map(httpRouteKey);
    const problems = stackPropsProblems(props, jwtRoutes);
    if (problems.length > 0) throw new InvalidStackPropsError(problems);
    super(scope, id, props);

    const scheduleList = props.schedules ?? tableSchedules;
    const issuer = props.issuer;
    const audience = props.audience ?? [];

    this.table = new SwitchboardTable(this, 'Data', { removalPolicy: props.tableRemovalPolicy });

    const environment = handlerEnvironment(props);

    this.alarms = new SwitchboardAlarms(this, 'Alarms', { email: props.alarmEmail });

    // Invoked asynchronously: by a schedule, or by another Lambda (asyncInvocations). Their failures are kept
    // in a queue each; every other function is only ever invoked synchronously, by API Gateway.
    const asynchronous = new Set([
      ...scheduleList.map((s) => s.lambda),
      ...asyncInvocations.map((a) => a.to),
    ]);
    const deadLetterQueues: Pick<DeadLetterQueue, 'queue'>[] = [];
    const asyncFailures = new Map(
      [...asynchronous].map((name) => {
        const dlq = new DeadLetterQueue(this, `${constructIdOf(name)}Failures`, {
          alarms: this.alarms,
          name: `${name}-failures`,
          holds: `failed asynchronous invocations of ${name}`,
        });
        deadLetterQueues.push(dlq);
        return [name, dlq.queue] as const;
      }),
    );

    // Work queues consumed by a Lambda's SQS event source; each has its own dead-letter queue.
    const queues = new Map(
      queueTriggers.map((trigger) => {
        const queue = new MonitoredQueue(this, `${constructIdOf(trigger.name)}Queue`, {
          alarms: this.alarms,
          name: trigger.name,
          holds: trigger.holds,
          maxAge: Duration.seconds(trigger.maxAgeSeconds),
          maxReceiveCount: trigger.maxReceiveCount,
          visibilityTimeout: Duration.seconds(trigger.visibilityTimeoutSeconds),
        });
        deadLetterQueues.push({ queue: queue.deadLetterQueue });
        return [trigger.name, queue] as const;
      }),
    );
    this.queues = queues;
    const consumed = new Map(queueTriggers.map((t) => [t.lambda, t.name]));

    const tracing = (props.tracing ?? true) ? this.tracingPolicy() : undefined;
    const functions = new Map<LambdaName, SwitchboardFunction>();
    for (const name of new Set([...usedLambdas(), ...scheduleList.map((s) => s.lambda)])) {
      const fn = new SwitchboardFunction(this, constructIdOf(name), {
        spec: lambdas[name],
        logRetention: props.logRetention,
        environment,
        asyncFailures: asyncFailures.get(name),
        consumes: consumed.get(name),
        tracing,
        metricsService: this.stackName,
      });
      fn.bindTable(this.table.table);
      functions.set(name, fn);
    }
    this.functions = functions;
    for (const { from, to, env } of asyncInvocations) {
      functionNamed(functions, from).grantStart(functionNamed(functions, to), env);
    }
    for (const trigger of queueTriggers) {
      const { queue } = queues.get(trigger.name)!;
      const consumer = functionNamed(functions, trigger.lambda).function;
      consumer.addEventSource(
        new SqsEventSource(queue, {
          batchSize: trigger.batchSize,
          reportBatchItemFailures: true,
          maxConcurrency: Number(environment[trigger.concurrencyEnv]),
        }),
      );
      for (const mapping of consumer.node.children.filter((c) => c instanceof EventSourceMapping)) {
        Validations.of(mapping).acknowledge({
          id: 'Serverless-LambdaEventSourceMappingDestination',
          reason:
            'An SQS event source takes no on-failure destination (Lambda supports them for stream and Kafka ' +
            `sources only): a message that fails ${trigger.maxReceiveCount} times moves to the queue's own ` +
            'dead-letter queue instead, whose depth alarm fires on the first one.',
        });
      }
      // Only the functions that deliver may send (the consumer among them: it passes work on).
      for (const name of queueSenders(functions.keys())) {
        functionNamed(functions, name).grantSend(queue, trigger.env);
      }
    }

    this.webSocketApi = new SwitchboardWebSocketApi(this, 'WebSocket', {
      routes: webSocketRoutes,
      routeSelectionExpression: ROUTE_SELECTION_EXPRESSION,
      functions,
      stageName: props.stageName,
      throttlingRateLimit: props.throttlingRateLimit,
      throttlingBurstLimit: props.throttlingBurstLimit,
      routeThrottling: props.webSocketRouteThrottling ?? DEFAULT_WEBSOCKET_ROUTE_THROTTLING,
      accessLogRetention: props.accessLogRetention,
      accountLoggingRole: props.apiGatewayLoggingRole,
    });
    for (const fn of functions.values()) {
      fn.addEnvironment('WS_CALLBACK_URL', this.webSocketApi.callbackUrl);
      if (fn.access.manageConnections) this.webSocketApi.grantManageConnections(fn);
    }

    this.httpApi = new SwitchboardHttpApi(this, 'Http', {
      routes: httpRoutes,
      functions,
      ...(issuer ? { jwt: { issuer, audience } } : {}),
      allowedOrigins: props.allowedOrigins,
      throttlingRateLimit: props.httpThrottlingRateLimit,
      throttlingBurstLimit: props.httpThrottlingBurstLimit,
      accessLogRetention: props.accessLogRetention,
    });

    const undeliveredTicks = new DeadLetterQueue(this, 'ScheduleDeadLetters', {
      alarms: this.alarms,
      name: 'schedule-undelivered',
      holds: 'schedule ticks EventBridge could not deliver to their Lambda',
    });
    deadLetterQueues.push(undeliveredTicks);
    this.schedules = new SwitchboardSchedules(this, 'Schedules', {
      schedules: scheduleList,
      functions,
      deadLetterQueue: undeliveredTicks.queue,
    });

    this.monitoring = new SwitchboardMonitoring(this, 'Monitoring', {
      alarms: this.alarms,
      functions,
      webSocketApi: this.webSocketApi,
      httpApi: this.httpApi,
      table: this.table.table,
      deadLetterQueues: deadLetterQueues.map((q) => q.queue),
      workQueues: new Map([...queues].map(([name, q]) => [name, q.queue])),
      service: this.stackName,
    });

    new CfnOutput(this, 'WebSocketUrl', {
      value: this.webSocketApi.url,
      description: 'Clients connect here (wss://…/{stage})',
    });
    new CfnOutput(this, 'WebSocketCallbackUrl', {
      value: this.webSocketApi.callbackUrl,
      description: 'Management API of the WebSocket stage (WS_CALLBACK_URL)',
    });
    new CfnOutput(this, 'HttpUrl', { value: this.httpApi.url, description: 'The HTTP API' });
    const fanOut = queues.get('fan-out');
    if (fanOut) {
      new CfnOutput(this, 'FanOutQueueUrl', {
        value: fanOut.queue.queueUrl,
        description: 'The fan-out queue: give it to the server library (fanOutQueueUrl) for large channels',
      });
    }
    new CfnOutput(this, 'TableName', {
      value: this.table.table.tableName,
      description: 'The DynamoDB table',
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.alarms.topic.topicArn,
      description: 'Every alarm notifies this SNS topic (firing and clearing): subscribe what pages you',
    });
    new CfnOutput(this, 'DashboardName', {
      value: this.monitoring.dashboard.dashboardName,
      description: 'The CloudWatch dashboard',
    });

    // Optional fronts for clients. WS_CALLBACK_URL above stays the execute-api one whatever they are.
    if (props.seedPaths) {
      this.seedPaths = new SwitchboardSeedPaths(this, 'SeedPaths', {
        originHost: this.webSocketApi.host,
        config: seedPathsConfig(this.webSocketApi.stageName, props),
        domainName: props.seedDomainName,
        certificateArn: props.seedCertificateArn,
      });
      new CfnOutput(this, 'SeedWebSocketUrl', {
        value: this.seedPaths.url,
        description:
          "The seed documents' clients connect here unchanged but for the host: …/ws/chat/{room}/ etc.",
      });
      new CfnOutput(this, 'SeedDistributionDomainName', {
        value: this.seedPaths.distribution.distributionDomainName,
        description: 'The seed paths distribution (a CNAME target for seedDomainName)',
      });
    }
    if (props.webSocketDomainName && props.webSocketCertificateArn) {
      this.webSocketDomain = new SwitchboardApiDomain(this, 'WebSocketDomain', {
        domainName: props.webSocketDomainName,
        certificateArn: props.webSocketCertificateArn,
        api: this.webSocketApi.api,
        stage: this.webSocketApi.stage,
        scheme: 'wss',
      });
      this.domainOutputs('WebSocket', this.webSocketDomain);
    }
    if (props.httpDomainName && props.httpCertificateArn) {
      this.httpDomain = new SwitchboardApiDomain(this, 'HttpDomain', {
        domainName: props.httpDomainName,
        certificateArn: props.httpCertificateArn,
        api: this.httpApi.api,
        stage: this.httpApi.stage,
        scheme: 'https',
      });
      this.domainOutputs('Http', this.httpDomain);
    }
  }

  private domainOutputs(api: 'WebSocket' | 'Http', domain: SwitchboardApiDomain): void {
    new CfnOutput(this, `${api}CustomUrl`, {
      value: domain.url,
      description: `The ${api} API on its own name`,
    });
    new CfnOutput(this, `${api}DomainTarget`, {
      value: domain.target,
      description: `Point the ${api} API's name here (CNAME, or an alias in Route 53)`,
    });
  }

  /** The X-Ray writes every traced function needs, in one policy: X-Ray has no resource to name but `*`. */
  private tracingPolicy(): ManagedPolicy {
    const policy = new ManagedPolicy(this, 'TracingPolicy', {
      description: 'Switchboard functions: send X-Ray trace segments',
      statements: [
        new PolicyStatement({
          actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          resources: ['*'],
        }),
      ],
    });
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions: `*` is the ' +
        'only resource they can be granted on. This policy holds nothing else.',
    });
    return policy;
  }

  /**
   * Lets code outside the stack (another Lambda, a worker's role) publish with the server library
   * (server/index.ts, docs/server-library.md): the table actions a publish uses, sending to the fan-out
   * queue, and ManageConnections on this WebSocket stage. Give it the `TableName`, `WebSocketCallbackUrl`
   * and `FanOutQueueUrl` outputs as well.
   */
  public grantPublish(grantee: IGrantable): Grant {
    this.table.table.grant(grantee, ...SERVER_LIBRARY_TABLE_ACTIONS);
    for (const { queue } of this.queues.values()) {
      Grant.addToPrincipal({ grantee, actions: ['sqs:SendMessage'], resourceArns: [queue.queueArn] });
    }
    return Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:ManageConnections'],
      resourceArns: [
        this.formatArn({
          service: 'execute-api',
          resource: this.webSocketApi.api.apiId,
          resourceName: `${this.webSocketApi.stageName}/*/@connections/*`,
        }),
      ],
    });
  }
}

/** What a publish through the server library does to the table (shared/core/publish.ts and its delivery). */
export const SERVER_LIBRARY_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
] as const;
