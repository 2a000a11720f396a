import { Stack } from 'aws-cdk-lib';
import { type IWebSocketRouteAuthorizer, WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { LambdaName, WebSocketRoute } from '../../shared/app/routes';
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
}

/**
 * The WebSocket API: every route of the table with its Lambda integration, the $connect REQUEST authorizer,
 * route responses where the table asks for them, and one auto-deployed, throttled stage.
 */
export class SwitchboardWebSocketApi extends Construct {
  public readonly api: WebSocketApi;
  public readonly stage: WebSocketStage;
  public readonly stageName: string;
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
      this.api.addRoute(route.routeKey, {
        integration: integrationFor(route.lambda),
        ...(route.authorizer ? { authorizer: authorizerFor(route.authorizer) } : {}),
        returnResponse: route.returnResponse ?? false,
      });
    }

    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: this.stageName,
      autoDeploy: true,
      throttle: {
        rateLimit: props.throttlingRateLimit ?? 1000,
        burstLimit: props.throttlingBurstLimit ?? 2000,
      },
    });

    // Built from the API id and the stage *name*, not the stage resource: a function that reads the URL
    // then depends on the API only, and the API's integrations depend on the function without a cycle.
    const { region, urlSuffix } = Stack.of(this);
    const host = `${this.api.apiId}.execute-api.${region}.${urlSuffix}`;
    this.url = `wss://${host}/${this.stageName}`;
    this.callbackUrl = `https://${host}/${this.stageName}`;
  }

  /**
   * Lets a function post to, read and close connections of this stage only (POST, GET, DELETE
   * `@connections/{id}`): never another stage's, never another API's.
   */
  public grantManageConnections(fn: SwitchboardFunction): void {
    fn.function.addToRolePolicy(
      new PolicyStatement({
        actions: ['execute-api:ManageConnections'],
        resources: [
          Stack.of(this).formatArn({
            service: 'execute-api',
            resource: this.api.apiId,
            resourceName: `${this.stageName}/*/@connections/*`,
          }),
        ],
      }),
    );
  }
}
