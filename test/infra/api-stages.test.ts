import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { HTTP_ACCESS_LOG_FORMAT } from '../../infra/constructs/http-api';
import { WEBSOCKET_ACCESS_LOG_FORMAT } from '../../infra/constructs/websocket-api';
import { flatten, type Resource, resourcesOf, synth, VALID_PROPS } from './synth';

describe('When the stack is synthesized with its defaults', () => {
  const { template } = synth();
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const apiIdOf = (protocol: string) =>
    resourcesOf(template, 'AWS::ApiGatewayV2::Api').find(
      ([, a]) => a.Properties.ProtocolType === protocol,
    )![0];
  const stageOf = (protocol: string) =>
    resourcesOf(template, 'AWS::ApiGatewayV2::Stage').find(
      ([, s]) => (s.Properties.ApiId as { Ref: string }).Ref === apiIdOf(protocol),
    )!;
  const [httpStageId, httpStage] = stageOf('HTTP');
  const [, wsStage] = stageOf('WEBSOCKET');
  const accessLogOf = (stage: Resource) => {
    const settings = stage.Properties.AccessLogSettings as { DestinationArn: unknown; Format: string };
    const groupId = flatten(settings.DestinationArn).match(/^\$\{(\w+)\.Arn\}$/)![1]!;
    return { group: resources[groupId]!, format: JSON.parse(settings.Format) as Record<string, string> };
  };

  it.each([
    ['HTTP', httpStage],
    ['WebSocket', wsStage],
  ])('logs every %s request to a log group of its own, kept a month', (_, stage) => {
    const { group } = accessLogOf(stage);
    expect(group.Type).toBe('AWS::Logs::LogGroup');
    expect(group.Properties.RetentionInDays).toBe(30);
  });

  it('writes the HTTP access log as JSON: request id, method and path, status, latencies, errors', () => {
    const { format } = accessLogOf(httpStage);
    expect(format).toEqual(HTTP_ACCESS_LOG_FORMAT);
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      method: '$context.httpMethod',
      path: '$context.path',
      routeKey: '$context.routeKey',
      status: '$context.status',
      latency: '$context.responseLatency',
      integrationLatency: '$context.integrationLatency',
      error: '$context.error.message',
      integrationError: '$context.integrationErrorMessage',
      authorizerError: '$context.authorizer.error',
    });
  });

  it('writes the WebSocket access log as JSON: request and connection ids, route, status, latencies, errors', () => {
    const { format } = accessLogOf(wsStage);
    expect(format).toEqual(WEBSOCKET_ACCESS_LOG_FORMAT);
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      connectionId: '$context.connectionId',
      eventType: '$context.eventType',
      routeKey: '$context.routeKey',
      status: '$context.status',
      integrationLatency: '$context.integration.latency',
      error: '$context.error.message',
      integrationError: '$context.integration.error',
      authorizerError: '$context.authorizer.error',
    });
  });

  it('quotes every value, so that a missing one ("-") still leaves valid JSON', () => {
    for (const format of [HTTP_ACCESS_LOG_FORMAT, WEBSOCKET_ACCESS_LOG_FORMAT]) {
      const line = JSON.stringify(format).replace(/\$context\.[\w.]+/g, '-');
      expect(() => JSON.parse(line)).not.toThrow();
    }
  });

  it('throttles every HTTP route by default: 500 requests per second, bursts of 1000', () => {
    expect(httpStage.Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
    });
  });

  it("keeps the HTTP stage under the id of CDK's default stage, so that it updates in place", () => {
    expect(httpStageId).toMatch(/^HttpApiDefaultStage/);
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 2);
  });

  it('throttles $connect below the WebSocket stage default, and no other route', () => {
    expect(wsStage.Properties.DefaultRouteSettings).toEqual({
      ThrottlingRateLimit: 1000,
      ThrottlingBurstLimit: 2000,
    });
    expect(wsStage.Properties.RouteSettings).toEqual({
      $connect: { ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 },
    });
  });

  it("makes a logging role the account's, which WebSocket access logs need, before the stage; kept when the stack goes", () => {
    const [accountId, account] = resourcesOf(template, 'AWS::ApiGateway::Account')[0]!;
    const roleId = flatten(account.Properties.CloudWatchRoleArn).match(/^\$\{(\w+)\.Arn\}$/)![1]!;
    const role = template.toJSON().Resources[roleId];
    expect(role.Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({
      Service: 'apigateway.amazonaws.com',
    });
    expect(flatten(role.Properties.ManagedPolicyArns[0])).toContain(
      'policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs',
    );
    expect(role.DeletionPolicy).toBe('Retain');
    expect(resources[stageOf('WEBSOCKET')[0]]).toMatchObject({ DependsOn: [accountId] });
  });
});

describe('When throttling, access log retention and the account role are set by props', () => {
  const { template } = synth({
    ...VALID_PROPS,
    httpThrottlingRateLimit: 20,
    httpThrottlingBurstLimit: 40,
    webSocketRouteThrottling: {
      $connect: { rateLimit: 10, burstLimit: 20 },
      publish: { rateLimit: 50, burstLimit: 100 },
    },
    accessLogRetention: RetentionDays.ONE_WEEK,
    apiGatewayLoggingRole: false,
  });
  const stages = resourcesOf(template, 'AWS::ApiGatewayV2::Stage').map(([, s]) => s.Properties);

  it('throttles the HTTP routes as told', () => {
    expect(stages.find((s) => s.StageName === '$default')!.DefaultRouteSettings).toEqual({
      ThrottlingRateLimit: 20,
      ThrottlingBurstLimit: 40,
    });
  });

  it('throttles exactly the WebSocket routes named', () => {
    expect(stages.find((s) => s.StageName === 'prod')!.RouteSettings).toEqual({
      $connect: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      publish: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
  });

  it('keeps both access logs a week', () => {
    const groups = resourcesOf(template, 'AWS::Logs::LogGroup').filter(([id]) => /AccessLogs/.test(id));
    expect(groups).toHaveLength(2);
    for (const [, group] of groups) expect(group.Properties.RetentionInDays).toBe(7);
  });

  it("leaves the account's logging role alone", () => {
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
  });
});

describe('When no WebSocket route is throttled on its own', () => {
  const { template } = synth({ ...VALID_PROPS, webSocketRouteThrottling: {} });

  it('has no route settings, only the stage default', () => {
    const [, stage] = resourcesOf(template, 'AWS::ApiGatewayV2::Stage').find(
      ([, s]) => s.Properties.StageName === 'prod',
    )!;
    expect(stage.Properties.RouteSettings).toBeUndefined();
    expect(stage.Properties.DefaultRouteSettings).toEqual({
      ThrottlingRateLimit: 1000,
      ThrottlingBurstLimit: 2000,
    });
  });
});
