import { Duration, Validations } from 'aws-cdk-lib';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  type HttpStage,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type HttpRoute, httpCors, httpRouteKey, type LambdaName } from '../../shared/app/routes';
import { jsonAccessLog } from './access-log';
import { constructIdOf, type FunctionsByName, functionNamed } from './function';

export interface SwitchboardHttpApiProps {
  /** The HTTP routes of the route table. */
  readonly routes: readonly HttpRoute[];
  /** The functions the routes name. */
  readonly functions: FunctionsByName;
  /**
   * The tokens API Gateway's JWT authorizer accepts on 'jwt' routes: their issuer (whose OpenID Connect
   * discovery gives the keys) and the `aud` values of which a token must carry one.
   * @default - none: a route with auth 'jwt' is an error
   */
  readonly jwt?: { readonly issuer: string; readonly audience: readonly string[] };
  /**
   * Origins that browsers may call the API from (CORS preflight).
   * @default - any origin ('*')
   */
  readonly allowedOrigins?: readonly string[];
  /**
   * Default route throttling of the stage: steady requests per second, per route.
   * @default 500
   */
  readonly throttlingRateLimit?: number;
  /**
   * Default route throttling of the stage: burst, per route.
   * @default 1000
   */
  readonly throttlingBurstLimit?: number;
  /**
   * How long the access log (one JSON line per request) is kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly accessLogRetention?: RetentionDays;
}

/** The fields of the access log, one JSON object per request: Logs Insights queries them by name (`filter status >= 500`). */
export const HTTP_ACCESS_LOG_FORMAT = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTimeEpoch',
  method: '$context.httpMethod',
  path: '$context.path',
  routeKey: '$context.routeKey',
  status: '$context.status',
  responseLength: '$context.responseLength',
  latency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
  error: '$context.error.message',
  authorizerError: '$context.authorizer.error',
} as const;

/**
 * The HTTP API: every HTTP route of the table. Routes with auth 'jwt' go through API Gateway's JWT
 * authorizer with their scopes; 'optional' and 'none' routes have no authorizer at all, because API
 * Gateway's cannot be optional: their handler verifies a token itself when one is sent.
 */
export class SwitchboardHttpApi extends Construct {
  public readonly api: HttpApi;
  public readonly stage: HttpStage;
  public readonly accessLogs: LogGroup;
  /** `https://{apiId}.execute-api.{region}.{urlSuffix}` (the default stage, no path). */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: SwitchboardHttpApiProps) {
    super(scope, id);
    const origins = props.allowedOrigins?.length ? [...props.allowedOrigins] : ['*'];
    this.api = new HttpApi(this, 'Api', {
      description: 'Switchboard HTTP API',
      corsPreflight: {
        allowOrigins: origins,
        allowMethods: httpCors.allowMethods.map((m) => CorsHttpMethod[m]),
        allowHeaders: [...httpCors.allowHeaders],
        maxAge: Duration.seconds(httpCors.maxAgeSeconds),
      },
      // Made below, with throttling and access logs, under the id CDK gives its own default stage.
      createDefaultStage: false,
    });
    const accessLog = jsonAccessLog(this, HTTP_ACCESS_LOG_FORMAT, props.accessLogRetention);
    this.accessLogs = accessLog.logGroup;
    this.stage = this.api.addStage('DefaultStage', {
      autoDeploy: true,
      throttle: {
        rateLimit: props.throttlingRateLimit ?? 500,
        burstLimit: props.throttlingBurstLimit ?? 1000,
      },
      accessLogSettings: accessLog.settings,
    });
    this.url = this.api.apiEndpoint;

    const jwt =
      props.jwt &&
      new HttpJwtAuthorizer('JwtAuthorizer', props.jwt.issuer, {
        jwtAudience: [...props.jwt.audience],
        identitySource: ['$request.header.Authorization'],
      });
    const none = new HttpNoneAuthorizer();

    const integrations = new Map<LambdaName, HttpLambdaIntegration>();
    const integrationFor = (name: LambdaName) => {
      let integration = integrations.get(name);
      if (!integration) {
        integration = new HttpLambdaIntegration(
          `${constructIdOf(name)}Integration`,
          functionNamed(props.functions, name).function,
        );
        integrations.set(name, integration);
      }
      return integration;
    };

    for (const route of props.routes) {
      if (route.auth === 'jwt' && !jwt) {
        throw new Error(`HTTP route ${httpRouteKey(route)} has auth 'jwt', but no issuer is configured`);
      }
      const scopes = route.auth === 'jwt' && route.scopes?.length ? [...route.scopes] : undefined;
      const [created] = this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: integrationFor(route.lambda),
        authorizer: route.auth === 'jwt' ? jwt : none,
        ...(scopes ? { authorizationScopes: scopes } : {}),
      });
      if (route.auth !== 'jwt') {
        Validations.of(created!).acknowledge({ id: 'AwsSolutions-APIG4', reason: UNAUTHORIZED[route.auth] });
      }
    }
  }
}

/** Why a route without API Gateway's authorizer is right, by its auth in the route table. */
const UNAUTHORIZED: Record<Exclude<HttpRoute['auth'], 'jwt'>, string> = {
  optional:
    "Anonymous callers are allowed (auth 'optional', docs/PROTOCOL.md section 5) and API Gateway's JWT " +
    'authorizer cannot be optional: the handler verifies a token itself when one is sent and checks who may ' +
    'read the channel.',
  none:
    "Open to anyone by design (auth 'none', docs/PROTOCOL.md section 5): a read of public data or the health " +
    "check; the stage's default route throttling bounds it.",
};
