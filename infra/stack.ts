import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { DEFAULTS } from '../shared/app/defaults';
import {
  asyncInvocations,
  httpRouteKey,
  httpRoutes,
  type LambdaName,
  lambdas,
  ROUTE_SELECTION_EXPRESSION,
  schedules as tableSchedules,
  usedLambdas,
  webSocketRoutes,
} from '../shared/app/routes';
import {
  constructIdOf,
  type FunctionEnvironment,
  functionNamed,
  SwitchboardFunction,
} from './constructs/function';
import { SwitchboardHttpApi } from './constructs/http-api';
import { SwitchboardSchedules } from './constructs/schedules';
import { SwitchboardTable } from './constructs/table';
import { SwitchboardWebSocketApi } from './constructs/websocket-api';
import { InvalidStackPropsError, type SwitchboardStackProps, stackPropsProblems } from './stack-props';

export type { SwitchboardStackProps } from './stack-props';
export { InvalidStackPropsError } from './stack-props';

/**
 * The whole of Switchboard in AWS: the table, one function per Lambda of the route table, the WebSocket
 * API, the HTTP API and the schedules, all created by iterating shared/app/routes.ts.
 */
export class SwitchboardStack extends Stack {
  public readonly table: SwitchboardTable;
  public readonly functions: ReadonlyMap<LambdaName, SwitchboardFunction>;
  public readonly webSocketApi: SwitchboardWebSocketApi;
  public readonly httpApi: SwitchboardHttpApi;
  public readonly schedules: SwitchboardSchedules;

  constructor(scope: Construct, id: string, props: SwitchboardStackProps & StackProps = {}) {
    const jwtRoutes = httpRoutes.filter((r) => r.auth === 'jwt').map(httpRouteKey);
    const problems = stackPropsProblems(props, jwtRoutes);
    if (problems.length > 0) throw new InvalidStackPropsError(problems);
    super(scope, id, props);

    const scheduleList = props.schedules ?? tableSchedules;
    const issuer = props.issuer;
    const audience = props.audience ?? [];

    this.table = new SwitchboardTable(this, 'Data', { removalPolicy: props.tableRemovalPolicy });

    const environment: FunctionEnvironment = withoutEmpty({
      JWT_ISSUER: issuer,
      JWT_AUDIENCE: audience.join(','),
      // Without one, the handlers find the key set by OIDC discovery from the issuer (shared/core/auth/jwt.ts).
      JWKS_URL: props.jwksUrl,
      // The defaults are written out (shared/app/defaults.ts, the one place they live), so the console
      // and the template say what the functions run with.
      JWT_ALGORITHMS: (props.jwtAlgorithms ?? DEFAULTS.JWT_ALGORITHMS).join(','),
      ORGS_CLAIM: props.orgsClaim ?? DEFAULTS.ORGS_CLAIM,
      ORGS_PREFIX: props.orgsPrefix,
      USERNAME_CLAIMS: (props.usernameClaims ?? DEFAULTS.USERNAME_CLAIMS).join(','),
      ALLOW_ANONYMOUS: String(props.allowAnonymous ?? DEFAULTS.ALLOW_ANONYMOUS),
      ALLOWED_ORIGINS: props.allowedOrigins?.join(','),
      RATE_LIMIT_PER_MINUTE: String(props.rateLimitPerMinute ?? DEFAULTS.RATE_LIMIT_PER_MINUTE),
      MAX_CHANNELS_PER_CONNECTION: String(
        props.maxChannelsPerConnection ?? DEFAULTS.MAX_CHANNELS_PER_CONNECTION,
      ),
      MAX_CONNECTIONS_PER_USER: String(props.maxConnectionsPerUser ?? DEFAULTS.MAX_CONNECTIONS_PER_USER),
      PRESENCE_ANNOUNCE_MAX: String(props.presenceAnnounceMax ?? DEFAULTS.PRESENCE_ANNOUNCE_MAX),
      MAX_DATA_BYTES: String(props.maxDataBytes ?? DEFAULTS.MAX_DATA_BYTES),
      SENSOR_RETENTION_DAYS: String(props.sensorRetentionDays ?? DEFAULTS.SENSOR_RETENTION_DAYS),
    });

    const functions = new Map<LambdaName, SwitchboardFunction>();
    for (const name of new Set([...usedLambdas(), ...scheduleList.map((s) => s.lambda)])) {
      const fn = new SwitchboardFunction(this, constructIdOf(name), {
        spec: lambdas[name],
        logRetention: props.logRetention,
        environment,
      });
      fn.bindTable(this.table.table);
      functions.set(name, fn);
    }
    this.functions = functions;
    for (const { from, to, env } of asyncInvocations) {
      functionNamed(functions, from).grantStart(functionNamed(functions, to), env);
    }

    this.webSocketApi = new SwitchboardWebSocketApi(this, 'WebSocket', {
      routes: webSocketRoutes,
      routeSelectionExpression: ROUTE_SELECTION_EXPRESSION,
      functions,
      stageName: props.stageName,
      throttlingRateLimit: props.throttlingRateLimit,
      throttlingBurstLimit: props.throttlingBurstLimit,
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
    });

    this.schedules = new SwitchboardSchedules(this, 'Schedules', { schedules: scheduleList, functions });

    new CfnOutput(this, 'WebSocketUrl', {
      value: this.webSocketApi.url,
      description: 'Clients connect here (wss://…/{stage})',
    });
    new CfnOutput(this, 'WebSocketCallbackUrl', {
      value: this.webSocketApi.callbackUrl,
      description: 'Management API of the WebSocket stage (WS_CALLBACK_URL)',
    });
    new CfnOutput(this, 'HttpUrl', { value: this.httpApi.url, description: 'The HTTP API' });
    new CfnOutput(this, 'TableName', {
      value: this.table.table.tableName,
      description: 'The DynamoDB table',
    });
  }

  /**
   * Lets code outside the stack (another Lambda, a worker's role) publish with the server library
   * (server/index.ts, docs/server-library.md): the table actions a publish uses, and ManageConnections on
   * this WebSocket stage. Give it the `TableName` and `WebSocketCallbackUrl` outputs as well.
   */
  public grantPublish(grantee: IGrantable): Grant {
    this.table.table.grant(grantee, ...SERVER_LIBRARY_TABLE_ACTIONS);
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

/** Unset and empty values are left out: the handler's own default (shared/app/defaults.ts) applies. */
function withoutEmpty(env: FunctionEnvironment): FunctionEnvironment {
  return Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  ) as FunctionEnvironment;
}
