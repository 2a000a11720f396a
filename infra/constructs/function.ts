import path from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IManagedPolicy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, type CfnFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { type BundlingOptions, LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { EnvName, LambdaName, LambdaSpec } from '../../shared/app/routes';
import { METRICS } from '../../shared/core/metrics';
import { projectRoot } from '../project';

/** An environment variable a handler reads (shared/app/config.ts): a typo fails to compile. */
export type { EnvName } from '../../shared/app/routes';
export type FunctionEnvironment = Partial<Record<EnvName, string>>;

export interface SwitchboardFunctionProps {
  /** The function's entry in the route table: handler module, description, memory, timeout, access. */
  readonly spec: LambdaSpec;
  /**
   * How long the function's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Environment variables set on the function (more can be added with `addEnvironment`).
   * @default - none besides NODE_OPTIONS
   */
  readonly environment?: FunctionEnvironment;
  /**
   * The repository root that `spec.entry` is relative to.
   * @default - this repository
   */
  readonly projectRoot?: string;
  /**
   * Where failed asynchronous invocations go (Lambda's on-failure destination), for a function that is invoked
   * asynchronously (a schedule, or another Lambda's Invoke `Event`). Lambda does not retry them.
   * @default - none: the function is only ever invoked synchronously (by API Gateway)
   */
  readonly asyncFailures?: IQueue;
  /**
   * The queue whose SQS event source invokes the function (the route table's `queueTriggers`): its failed
   * messages go to that queue's dead-letter queue, not to a destination of the function.
   * @default - none
   */
  readonly consumes?: string;
  /**
   * With a policy allowing the X-Ray writes, X-Ray active tracing; without, no tracing.
   * @default - no tracing
   */
  readonly tracing?: IManagedPolicy;
  /**
   * Powertools' service name (POWERTOOLS_SERVICE_NAME): the `service` dimension of every metric the handler
   * emits (shared/core/metrics.ts), so metrics of two stacks in one account stay apart.
   * @default - Powertools' own default
   */
  readonly metricsService?: string;
}

/**
 * How every function is bundled (esbuild, run locally by NodejsFunction). Exported so that
 * `npm run bench -- lambdas` (bench/lambdas.ts) bundles exactly the same way.
 */
export const BUNDLING = {
  target: 'node24',
  // The sources are ESM (package "type": "module"); the banner gives the CommonJS dependencies that
  // esbuild inlines a `require` for Node built-ins, which ESM output otherwise lacks.
  format: OutputFormat.ESM,
  mainFields: ['module', 'main'],
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  minify: true,
  sourceMap: true,
  // Stack traces need the mappings, not a second copy of every source file.
  sourcesContent: false,
  // The handlers import no AWS SDK package at all (shared/adapters/aws: signed requests of our own;
  // test/infra/bundling.test.ts checks that no bundle holds an @aws-sdk/* or @smithy/* package). Should
  // one ever be imported again, it is bundled rather than taken from the runtime: the handlers then run
  // the versions package-lock.json pins (the ones the tests ran), not whatever nodejs24.x ships that week.
  bundleAwsSDK: true,
} as const satisfies BundlingOptions;

/**
 * The defaults of every Switchboard Lambda: one NodejsFunction bundled by the local esbuild (never Docker),
 * Node.js 24 on arm64, source maps, its own log group with a retention, and a role of its own that may write
 * to that log group and nothing else until it is granted more.
 */
export class SwitchboardFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly logGroup: LogGroup;
  public readonly role: Role;
  public readonly access: LambdaSpec['access'];

  constructor(scope: Construct, id: string, props: SwitchboardFunctionProps) {
    super(scope, id);
    const root = props.projectRoot ?? projectRoot;
    this.access = props.spec.access;

    // Destroyed with the stack: the retention bounds the logs while it lives, and a deleted stack leaves
    // no orphaned groups behind (their generated names never collide with a redeployed stack's).
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Not CDK's default role with AWSLambdaBasicExecutionRole, which may create any log group and write to
    // every one in the account: this function logs to its own group only.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Switchboard ${props.spec.entry}`,
    });
    this.logGroup.grantWrite(this.role);

    const powertools: Record<string, string> = props.metricsService
      ? { POWERTOOLS_SERVICE_NAME: props.metricsService, POWERTOOLS_METRICS_NAMESPACE: METRICS.namespace }
      : {};
    this.function = new NodejsFunction(this, 'Handler', {
      entry: path.join(root, props.spec.entry),
      handler: 'handler',
      projectRoot: root,
      depsLockFilePath: path.join(root, 'package-lock.json'),
      description: props.spec.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.spec.memoryMb,
      timeout: Duration.seconds(props.spec.timeoutSeconds),
      logGroup: this.logGroup,
      role: this.role,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...powertools, ...props.environment },
      bundling: { ...BUNDLING, logLevel: LogLevel.WARNING },
    });

    if (props.tracing) {
      // Set on the resource rather than with `tracing:`, which would add the two X-Ray actions on `*` to this
      // role's own policy: the stack's one tracing policy (acknowledged there) holds them instead.
      (this.function.node.defaultChild as CfnFunction).tracingConfig = { mode: Tracing.ACTIVE };
      this.role.addManagedPolicy(props.tracing);
    } else {
      Validations.of(this.function).acknowledge({
        id: 'Serverless-LambdaTracing',
        reason: 'X-Ray tracing is turned off for this deployment (the stack property `tracing` is false).',
      });
    }

    if (props.asyncFailures) {
      // Lambda retries a failed asynchronous invocation twice by default. The asynchronous ones are runs
      // (live-stats: a retried run would push again; its slot claims stop that, but nothing is gained): a
      // failed run is superseded by the next tick. The failure is kept (request, error, response) in the
      // queue instead, whose depth alarm says so.
      this.function.configureAsyncInvoke({
        retryAttempts: 0,
        onFailure: new SqsDestination(props.asyncFailures),
      });
      Validations.of(this.function).acknowledge({
        id: 'Serverless-LambdaDLQ',
        reason:
          'Failed asynchronous invocations go to the on-failure destination instead (an SQS queue with a depth ' +
          'alarm), which records the request, the error and the response; a dead-letter queue keeps the event only.',
      });
    } else if (props.consumes !== undefined) {
      Validations.of(this.function).acknowledge({
        id: 'Serverless-LambdaDLQ',
        reason:
          `Invoked by the SQS event source of the ${props.consumes} queue (shared/app/routes.ts queueTriggers), ` +
          'synchronously: a message it fails stays in that queue and, after maxReceiveCount receives, moves to ' +
          "the queue's own dead-letter queue (with a depth alarm). A function dead-letter queue would never see it.",
      });
    } else {
      Validations.of(this.function).acknowledge({
        id: 'Serverless-LambdaDLQ',
        reason:
          'Only invoked synchronously, by API Gateway (shared/app/routes.ts lists no schedule or asynchronous ' +
          'invocation of it): Lambda sends nothing to a dead-letter queue then, the caller gets the error, and ' +
          'the Lambda errors alarm reports it.',
      });
    }
  }

  /** Sets an environment variable the handler reads. */
  public addEnvironment(name: EnvName, value: string): this {
    this.function.addEnvironment(name, value);
    return this;
  }

  /**
   * Lets this function start `target` (lambda:InvokeFunction on exactly that function, no version or alias)
   * and tells it the target's name in `env`.
   */
  public grantStart(target: SwitchboardFunction, env: EnvName): this {
    this.function.addToRolePolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [target.function.functionArn] }),
    );
    return this.addEnvironment(env, target.function.functionName);
  }

  /**
   * Lets this function send to `queue` (sqs:SendMessage, which SendMessageBatch needs too, and nothing else:
   * no receive, no delete, no attributes) and tells it the queue's URL in `env`.
   */
  public grantSend(queue: IQueue, env: EnvName): this {
    this.function.addToRolePolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }),
    );
    return this.addEnvironment(env, queue.queueUrl);
  }

  /**
   * Gives the function the table in one call: least-privilege grant per the route table's `access.table`
   * and TABLE_NAME. A function with access 'none' gets neither: it never touches the table.
   */
  public bindTable(table: ITable): this {
    if (this.access.table === 'none') return this;
    table.grant(this.function, ...TABLE_ACTIONS[this.access.table]);
    return this.addEnvironment('TABLE_NAME', table.tableName);
  }
}

/**
 * What the handlers do to the table, and nothing more: CDK's grantReadData/grantReadWriteData would add
 * Scan (no request path scans), the stream actions and table-wide management.
 */
export const TABLE_ACTIONS = {
  read: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'],
  readwrite: [
    'dynamodb:GetItem',
    'dynamodb:BatchGetItem',
    'dynamodb:Query',
    'dynamodb:ConditionCheckItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:BatchWriteItem',
  ],
} as const;

/** The functions of a stack, one per Lambda of the route table. */
export type FunctionsByName = ReadonlyMap<LambdaName, SwitchboardFunction>;

/** The function the route table names, or an error naming what is missing. */
export function functionNamed(functions: FunctionsByName, name: LambdaName): SwitchboardFunction {
  const fn = functions.get(name);
  if (!fn) throw new Error(`No function "${name}" in this stack (route table: shared/app/routes.ts)`);
  return fn;
}

/** `ws-authorizer` → `WsAuthorizer`: a construct id (and so a logical id prefix) for a route-table name. */
export const constructIdOf = (name: string): string =>
  name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
