import { Capture, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { httpRouteKey, httpRoutes } from '../../shared/app/routes';
import { environmentOf, flatten, type Resource, resourcesOf, synth, VALID_PROPS } from './synth';

describe('When the stack is synthesized from the route table', () => {
  const { template, functionId } = synth();
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const [httpApiId] = resourcesOf(template, 'AWS::ApiGatewayV2::Api').find(
    ([, api]) => api.Properties.ProtocolType === 'HTTP',
  )!;
  const [jwtAuthorizerId] = resourcesOf(template, 'AWS::ApiGatewayV2::Authorizer').find(
    ([, a]) => a.Properties.AuthorizerType === 'JWT',
  )!;
  const apiRoutes = resourcesOf(template, 'AWS::ApiGatewayV2::Route').filter(
    ([, r]) => (r.Properties.ApiId as { Ref: string }).Ref === httpApiId,
  );

  it('has exactly the HTTP routes of the route table', () => {
    expect(apiRoutes.map(([, r]) => r.Properties.RouteKey).sort()).toEqual(
      httpRoutes.map(httpRouteKey).sort(),
    );
  });

  it.each(httpRoutes.map((r) => [httpRouteKey(r), r] as const))('routes %s to its Lambda', (_, route) => {
    const target = new Capture();
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      ApiId: { Ref: httpApiId },
      RouteKey: httpRouteKey(route),
      Target: target,
    });
    const integrationId = flatten(target.asObject()).match(/^integrations\/\$\{(\w+)\}$/)![1]!;
    expect(resources[integrationId]!.Properties).toMatchObject({
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [functionId(route.lambda), 'Arn'] },
    });
  });

  it.each(httpRoutes.filter((r) => r.auth === 'jwt').map((r) => [httpRouteKey(r), r] as const))(
    '%s goes through the JWT authorizer with its scopes',
    (_, route) => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: httpRouteKey(route),
        AuthorizationType: 'JWT',
        AuthorizerId: { Ref: jwtAuthorizerId },
        AuthorizationScopes: 'scopes' in route ? [...route.scopes] : Match.absent(),
      });
    },
  );

  it.each(httpRoutes.filter((r) => r.auth !== 'jwt').map((r) => [httpRouteKey(r), r.auth] as const))(
    '%s (auth %s) has no authorizer: the handler verifies an optional token itself',
    (routeKey) => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: routeKey,
        AuthorizationType: 'NONE',
        AuthorizerId: Match.absent(),
        AuthorizationScopes: Match.absent(),
      });
    },
  );

  it('trusts the issuer and audience of the props, reading the Authorization header', () => {
    expect(resources[jwtAuthorizerId]!.Properties).toMatchObject({
      ApiId: { Ref: httpApiId },
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: VALID_PROPS.issuer, Audience: [...VALID_PROPS.audience] },
    });
  });

  it('answers CORS preflights from any origin when no origins are given', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: {
        AllowOrigins: ['*'],
        AllowMethods: Match.arrayEquals(['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS']),
        AllowHeaders: Match.arrayEquals(['authorization', 'content-type', 'idempotency-key']),
      },
    });
  });

  it('outputs the URL of the HTTP API', () => {
    template.hasOutput('HttpUrl', { Value: { 'Fn::GetAtt': [httpApiId, 'ApiEndpoint'] } });
  });
});

describe('When allowed origins are given', () => {
  const origins = ['https://app.example.com', 'http://localhost:5173'];
  const { template, functionId } = synth({ ...VALID_PROPS, allowedOrigins: origins });

  it('answers CORS preflights from those origins only', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: Match.objectLike({ AllowOrigins: origins }),
    });
  });

  it('tells the $connect authorizer the same origins', () => {
    expect(environmentOf(template, functionId('ws-authorizer')).ALLOWED_ORIGINS).toBe(origins.join(','));
  });
});
