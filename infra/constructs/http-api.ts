import { Duration } from 'aws-cdk-lib';
import { CorsHttpMethod, HttpApi, HttpMethod, HttpNoneAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Construct } from 'constructs';
import { type HttpRoute, httpCors, httpRouteKey, type LambdaName } from '../../shared/app/routes';
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
}

/**
 * The HTTP API: every HTTP route of the table. Routes with auth 'jwt' go through API Gateway's JWT
 * authorizer with their scopes; 'optional' and 'none' routes have no authorizer at all, because API
 * Gateway's cannot be optional: their handler verifies a token itself when one is sent.
 */
export class SwitchboardHttpApi extends Construct {
  public readonly api: HttpApi;
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
      this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: integrationFor(route.lambda),
        authorizer: route.auth === 'jwt' ? jwt : none,
        ...(scopes ? { authorizationScopes: scopes } : {}),
      });
    }
  }
}
