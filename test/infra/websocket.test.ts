import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { lambdas, ROUTE_SELECTION_EXPRESSION, usedLambdas, webSocketRoutes } from '../../shared/app/routes';
import {
  actionsOf,
  environmentOf,
  flatten,
  type Resource,
  resourcesOf,
  statementsOf,
  synth,
  VALID_PROPS,
} from './synth';

const MANAGE = 'execute-api:ManageConnections';

describe('When the stack is synthesized from the route table', () => {
  const { template, functionId } = synth();
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const [wsApiId] = resourcesOf(template, 'AWS::ApiGatewayV2::Api').find(
    ([, api]) => api.Properties.ProtocolType === 'WEBSOCKET',
  )!;
  const wsRoutes = resourcesOf(template, 'AWS::ApiGatewayV2::Route').filter(
    ([, r]) => (r.Properties.ApiId as { Ref: string }).Ref === wsApiId,
  );
  const routeIdOf = (routeKey: string) => wsRoutes.find(([, r]) => r.Properties.RouteKey === routeKey)![0];

  it('selects routes by the expression of the route table', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: ROUTE_SELECTION_EXPRESSION,
    });
  });

  it('has exactly the WebSocket routes of the route table', () => {
    expect(wsRoutes.map(([, r]) => r.Properties.RouteKey).sort()).toEqual(
      webSocketRoutes.map((r) => r.routeKey).sort(),
    );
  });

  it.each(webSocketRoutes.map((r) => [r.routeKey, r] as const))('routes %s to its Lambda', (_, route) => {
    const target = new Capture();
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      ApiId: { Ref: wsApiId },
      RouteKey: route.routeKey,
      Target: target,
    });
    const integrationId = flatten(target.asObject()).match(/^integrations\/\$\{(\w+)\}$/)![1]!;
    const integration = resources[integrationId]!;
    expect(integration.Properties.IntegrationType).toBe('AWS_PROXY');
    expect(flatten(integration.Properties.IntegrationUri)).toContain(`\${${functionId(route.lambda)}.Arn}`);
  });

  it.each(webSocketRoutes.map((r) => [r.routeKey, r] as const))(
    'lets API Gateway invoke the Lambda of %s for that route',
    (_, route) => {
      const permissions = resourcesOf(template, 'AWS::Lambda::Permission').filter(
        ([, p]) =>
          p.Properties.Principal === 'apigateway.amazonaws.com' &&
          flatten(p.Properties.FunctionName) === `\${${functionId(route.lambda)}.Arn}` &&
          flatten(p.Properties.SourceArn).endsWith(`\${${wsApiId}}/*${route.routeKey}`),
      );
      expect(permissions).toHaveLength(1);
    },
  );

  it('guards $connect with the REQUEST authorizer, which has no identity source', () => {
    const authorizerId = new Capture();
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: '$connect',
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: authorizerId },
    });
    const authorizer = resources[authorizerId.asString()]!;
    expect(authorizer.Type).toBe('AWS::ApiGatewayV2::Authorizer');
    expect(authorizer.Properties.AuthorizerType).toBe('REQUEST');
    // Empty, so that a handshake without a token reaches the authorizer (anonymous connections) instead
    // of being answered 401 by API Gateway.
    expect(authorizer.Properties.IdentitySource).toEqual([]);
    expect(flatten(authorizer.Properties.AuthorizerUri)).toContain(`\${${functionId('ws-authorizer')}.Arn}`);
  });

  it('lets API Gateway invoke the authorizer Lambda', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'apigateway.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [functionId('ws-authorizer'), 'Arn'] },
      SourceArn: Match.anyValue(),
    });
  });

  it('puts no authorizer on any route but $connect', () => {
    for (const [, route] of wsRoutes.filter(([, r]) => r.Properties.RouteKey !== '$connect')) {
      expect(route.Properties.AuthorizationType).toBe('NONE');
    }
  });

  it.each(webSocketRoutes.filter((r) => r.returnResponse).map((r) => r.routeKey))(
    'returns the handler response to the client on %s',
    (routeKey) => {
      template.hasResourceProperties('AWS::ApiGatewayV2::RouteResponse', {
        ApiId: { Ref: wsApiId },
        RouteId: { Ref: routeIdOf(routeKey) },
        RouteResponseKey: '$default',
      });
      expect(resources[routeIdOf(routeKey)]!.Properties.RouteResponseSelectionExpression).toBe('$default');
    },
  );

  it('has route responses only where the route table asks for them', () => {
    const withResponse = resourcesOf(template, 'AWS::ApiGatewayV2::RouteResponse').map(
      ([, r]) => (r.Properties.RouteId as { Ref: string }).Ref,
    );
    expect(withResponse.sort()).toEqual(
      webSocketRoutes
        .filter((r) => r.returnResponse)
        .map((r) => routeIdOf(r.routeKey))
        .sort(),
    );
  });

  it("deploys to an auto-deployed 'prod' stage with default route throttling", () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      ApiId: { Ref: wsApiId },
      StageName: 'prod',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 },
    });
  });

  it.each(usedLambdas())(
    '%s may manage connections of the prod stage exactly when the route table says so',
    (name) => {
      const grants = statementsOf(template, functionId(name)).filter((s) => actionsOf(s).includes(MANAGE));
      if (!lambdas[name].access.manageConnections) {
        expect(grants).toEqual([]);
        return;
      }
      expect(grants).toHaveLength(1);
      expect(grants[0]!.Resource).not.toBe('*');
      expect(flatten(grants[0]!.Resource)).toBe(
        `arn:\${AWS::Partition}:execute-api:\${AWS::Region}:\${AWS::AccountId}:\${${wsApiId}}/prod/*/@connections/*`,
      );
    },
  );

  it('grants ManageConnections on no other resource anywhere in the stack', () => {
    const grants = resourcesOf(template, 'AWS::IAM::Policy')
      .flatMap(
        ([, p]) =>
          (p.Properties.PolicyDocument as { Statement: Parameters<typeof actionsOf>[0][] }).Statement,
      )
      .filter((s) => actionsOf(s).includes(MANAGE) || actionsOf(s).includes('execute-api:*'));
    expect(grants.length).toBe(usedLambdas().filter((n) => lambdas[n].access.manageConnections).length);
    for (const grant of grants) expect(flatten(grant.Resource)).toMatch(/\/prod\/\*\/@connections\/\*$/);
  });

  it.each(usedLambdas())('%s knows the callback URL of the stage', (name) => {
    expect(flatten(environmentOf(template, functionId(name)).WS_CALLBACK_URL)).toBe(
      `https://\${${wsApiId}}.execute-api.\${AWS::Region}.\${AWS::URLSuffix}/prod`,
    );
  });

  it('outputs the WebSocket URL and the callback URL of the stage', () => {
    const url = new Capture();
    const callback = new Capture();
    template.hasOutput('WebSocketUrl', { Value: url });
    template.hasOutput('WebSocketCallbackUrl', { Value: callback });
    expect(flatten(url.asObject())).toBe(
      `wss://\${${wsApiId}}.execute-api.\${AWS::Region}.\${AWS::URLSuffix}/prod`,
    );
    expect(flatten(callback.asObject())).toBe(
      `https://\${${wsApiId}}.execute-api.\${AWS::Region}.\${AWS::URLSuffix}/prod`,
    );
  });

  it('has no dependency cycle (functions read the API id, the API invokes the functions)', () => {
    // Template.fromJSON refuses a template with a cycle, as CloudFormation would ...
    expect(() => Template.fromJSON(template.toJSON())).not.toThrow();
    // ... as it does this one, where the function reads the stage that depends on a route invoking it.
    const planted = {
      Resources: {
        Fn: {
          Type: 'AWS::Lambda::Function',
          Properties: { Environment: { Variables: { U: { Ref: 'Stage' } } } },
        },
        Stage: { Type: 'AWS::ApiGatewayV2::Stage', DependsOn: ['Route'] },
        Route: { Type: 'AWS::ApiGatewayV2::Route', Properties: { Target: { 'Fn::GetAtt': ['Fn', 'Arn'] } } },
      },
    };
    expect(() => Template.fromJSON(planted)).toThrow(/dependency cycle/);
  });
});

describe("When the stage is named 'dev' with its own throttling", () => {
  const { template, functionId } = synth({
    ...VALID_PROPS,
    stageName: 'dev',
    throttlingRateLimit: 50,
    throttlingBurstLimit: 100,
  });

  it('deploys to the dev stage with that throttling', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: 'dev',
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
  });

  it('scopes ManageConnections, the callback URL and the URL output to the dev stage', () => {
    const grant = statementsOf(template, functionId('ws-message')).find((s) =>
      actionsOf(s).includes(MANAGE),
    )!;
    expect(flatten(grant.Resource)).toMatch(/\/dev\/\*\/@connections\/\*$/);
    expect(flatten(environmentOf(template, functionId('ws-message')).WS_CALLBACK_URL)).toMatch(/\/dev$/);
    const url = new Capture();
    template.hasOutput('WebSocketUrl', { Value: url });
    expect(flatten(url.asObject())).toMatch(/^wss:\/\/.*\/dev$/);
  });
});
