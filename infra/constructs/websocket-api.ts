import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import {
  type CfnStage,
  type IWebSocketRouteAuthorizer,
  type ThrottleSettings,
  WebSocketApi,
  WebSocketStage,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { ManagedPolicy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { LambdaName, WebSocketRoute } from '../../shared/app/routes';
import { wildcardResourceFinding } from '../nag';
import { jsonAccessLog } from './access-log';
import { constructIdOf, type FunctionsByName, functionNamed, type SwitchboardFunction } from './function';

export interface SwitchboardWebSocketApiProps {
  /** The WebSocket routes of the route table. */
  readonly routes: readonly WebSocketRoute[];
  /** The route selection expression of the route table. */
  readonly routeSelectionExpression: string;
  /** The functions the routes name. */
  readonly functions: FunctionsByName;
  /**
   * The stage clients connect to: `wss://…/{stageName}`.
   * @default 'prod'
   */
  readonly stageName?: string;
  /**
   * Steady-state requests (connects and frames) per second across the stage, default route throttling.
   * @default 1000
   */
  readonly throttlingRateLimit?: number;
  /**
   * Burst of requests across the stage, default route throttling.
   * @default 2000
   */
  readonly throttlingBurstLimit?: number;
  /**
   * Throttling of single routes by route key, instead of the stage default (route settings).
   * @default - none
   */
  readonly routeThrottling?: Readonly<Record<string, ThrottleSettings>>;
  /**
   * How long the access log (one JSON line per connect, frame and disconnect) is kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly accessLogRetention?: RetentionDays;
  /**
   * Whether to create the role API Gateway logs to CloudWatch with and make it the account's
   * (AWS::ApiGateway::Account): a WebSocket stage cannot log without one. One setting per account and region.
   * @default true
   */
  readonly accountLoggingRole?: boolean;
}

/**
 * The fields of the access log, one JSON object per connect, frame and disconnect. A WebSocket stage has no
 * response-latency variable: the integration latency is the handler's time as API Gateway saw it.
 */
export const WEBSOCKET_ACCESS_LOG_FORMAT = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTimeEpoch',
  connectionId: '$context.connectionId',
  eventType: '$context.eventType',
  routeKey: '$context.routeKey',
  messageId: '$context.messageId',
  status: '$context.status',
  integrationLatency: '$context.integration.latency',
  integrationStatus: '$context.integration.status',
  integrationError: '$context.integration.error',
  error: '$context.error.message',
  authorizerLatency: '$context.authorizer.latency',
  authorizerError: '$context.authorizer.error',
} as const;

/**
 * The WebSocket API: every route of the table with its Lambda integration, the $connect REQUEST authorizer,
 * route responses where the table asks for them, and one auto-deployed, throttled stage.
 */
export class SwitchboardWebSocketApi extends Construct {
  public readonly api: WebSocketApi;
  public readonly stage: WebSocketStage;
  public readonly stageName: string;
  /** `{apiId}.execute-api.{region}.{urlSuffix}`: the API's own host (the seed paths distribution's origin). */
  public readonly host: string;
  public readonly accessLogs: LogGroup;
  /** `wss://{apiId}.execute-api.{region}.{urlSuffix}/{stage}`: where clients connect. */
  public readonly url: string;
  /** `https://{apiId}.execute-api.{region}.{urlSuffix}/{stage}`: the stage's Management API endpoint. */
  public readonly callbackUrl: string;

  constructor(scope: Construct, id: string, props: SwitchboardWebSocketApiProps) {
    super(scope, id);
    this.stageName = props.stageName ?? 'prod';
    this.api = new WebSocketApi(this, 'Api', {
      routeSelectionExpression: props.routeSelectionExpression,
      description: 'Switchboard realtime WebSocket API',
    });

    // One integration and one authorizer per function, shared by all the routes that name it.
    const integrations = new Map<LambdaName, WebSocketLambdaIntegration>();
    const integrationFor = (name: LambdaName) => {
      let integration = integrations.get(name);
      if (!integration) {
        // Not `Default`: CDK drops that id from logical ids, which would collide with the route's.
        integration = new WebSocketLambdaIntegration(
          `${constructIdOf(name)}Integration`,
          functionNamed(props.functions, name).function,
        );
        integrations.set(name, integration);
      }
      return integration;
    };
    const authorizers = new Map<LambdaName, IWebSocketRouteAuthorizer>();
    const authorizerFor = (name: LambdaName) => {
      let authorizer = authorizers.get(name);
      if (!authorizer) {
        // No identity source: API Gateway would answer 401 itself to a handshake without one, and the
        // authorizer would never see the anonymous connections it is there to allow. (It also disables
        // caching, so every handshake is decided afresh.)
        authorizer = new WebSocketLambdaAuthorizer(
          `${constructIdOf(name)}Authorizer`,
          functionNamed(props.functions, name).function,
          { identitySource: [] },
        );
        authorizers.set(name, authorizer);
      }
      return authorizer;
    };

    for (const route of props.routes) {
      if (route.authorizer && route.routeKey !== '$connect') {
        throw new Error(`WebSocket route ${route.routeKey}: API Gateway runs authorizers on $connect only`);
      }
      const created = this.api.addRoute(route.routeKey, {
        integration: integrationFor(route.lambda),
        ...(route.authorizer ? { authorizer: authorizerFor(route.authorizer) } : {}),
        returnResponse: route.returnResponse ?? false,
      });
      if (!route.authorizer) {
        Validations.of(created).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            route.routeKey === '$disconnect'
              ? 'API Gateway calls $disconnect itself when a connection it admitted closes; authorizers run on $connect only.'
              : 'API Gateway runs WebSocket authorizers on $connect only: this frame arrives on a connection the ' +
                '$connect authorizer admitted, API Gateway hands the principal that authorizer returned to every ' +
                'frame (requestContext.authorizer), and the handler authorizes the frame against it.',
        });
      }
    }

    const accessLog = jsonAccessLog(this, WEBSOCKET_ACCESS_LOG_FORMAT, props.accessLogRetention);
    this.accessLogs = accessLog.logGroup;
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: this.stageName,
      autoDeploy: true,
      throttle: {
        rateLimit: props.throttlingRateLimit ?? 1000,
        burstLimit: props.throttlingBurstLimit ?? 2000,
      },
      accessLogSettings: accessLog.settings,
    });
    const routeThrottling = Object.entries(props.routeThrottling ?? {});
    if (routeThrottling.length > 0) {
      // WebSocketStage has no route settings of its own (CDK 2.276): set on the resource, whose `routeSettings`
      // is plain JSON (CloudFormation's own spelling).
      (this.stage.node.defaultChild as CfnStage).routeSettings = Object.fromEntries(
        routeThrottling.map(([routeKey, { rateLimit, burstLimit }]) => [
          routeKey,
          { ThrottlingRateLimit: rateLimit, ThrottlingBurstLimit: burstLimit },
        ]),
      );
    }
    if (props.accountLoggingRole ?? true) {
      this.stage.node.addDependency(this.createAccountLoggingRole());
    }

    // Built from the API id and the stage *name*, not the stage resource: a function that reads the URL
    // then depends on the API only, and the API's integrations depend on the function without a cycle.
    const { region, urlSuffix } = Stack.of(this);
    this.host = `${this.api.apiId}.execute-api.${region}.${urlSuffix}`;
    this.url = `wss://${this.host}/${this.stageName}`;
    this.callbackUrl = `https://${this.host}/${this.stageName}`;
  }

  /**
   * Lets a function post to, read and close connections of this stage only (POST, GET, DELETE
   * `@connections/{id}`): never another stage's, never another API's.
   */
  public grantManageConnections(fn: SwitchboardFunction): void {
    const connections = Stack.of(this).formatArn({
      service: 'execute-api',
      resource: this.api.apiId,
      resourceName: `${this.stageName}/*/@connections/*`,
    });
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['execute-api:ManageConnections'], resources: [connections] }),
    );
    Validations.of(fn.role).acknowledge({
      id: wildcardResourceFinding(this, connections),
      reason:
        'Connection ids exist only at run time: `@connections/*` of this one stage is the narrowest resource ' +
        'ManageConnections can name (any method: the handlers POST, GET and DELETE connections).',
    });
  }

  /**
   * The account's API Gateway CloudWatch Logs role (AWS::ApiGateway::Account): without one, a WebSocket stage
   * with access logs fails to deploy. Kept when the stack goes, because the account setting keeps pointing to
   * it and other APIs of the account may log through it.
   */
  private createAccountLoggingRole(): CfnAccount {
    const role = new Role(this, 'AccountLoggingRole', {
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
      description: "API Gateway's CloudWatch Logs role for this account and region",
      managedPolicies: [
        ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs'),
      ],
    });
    role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        'The account-wide role API Gateway logs every REST and WebSocket API of this account and region ' +
        'through: AmazonAPIGatewayPushToCloudWatchLogs is the policy AWS documents for it and keeps current, ' +
        "and a narrower one would break other APIs' logging.",
    });
    return new CfnAccount(this, 'Account', { cloudWatchRoleArn: role.roleArn });
  }
}
