import { Capture, Match } from 'aws-cdk-lib/assertions';
import { CachePolicy } from 'aws-cdk-lib/aws-cloudfront';
import { describe, expect, it } from 'vitest';
import {
  FORWARDED_HEADERS,
  isGeneratedResponse,
  loadFunctionCode,
  MAX_FUNCTION_BYTES,
  seedPathsCode,
  seedPathsConfig,
} from '../../edge/index';
import { settingsFromContext } from '../../infra/context';
import { InvalidStackPropsError, type SwitchboardStackProps } from '../../infra/stack';
import { originUrl, viewerRequestEvent } from '../../local/seed-paths';
import { usedLambdas } from '../../shared/app/routes';
import { environmentOf, flatten, type Resource, resourcesOf, synth, VALID_PROPS } from './synth';

/**
 * The edge of the stack: the seed paths distribution (CloudFront in front of the WebSocket API with
 * edge/seed-paths.js on viewer request) and the APIs' custom domain names. All of it off by default.
 */
const SEED_CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';
const REGIONAL_CERT = 'arn:aws:acm:eu-west-1:123456789012:certificate/66666666-7777-8888-9999-000000000000';

/** Every custom name, each with its certificate. */
const ALL_DOMAINS = {
  seedDomainName: 'realtime.example.com',
  seedCertificateArn: SEED_CERT,
  webSocketDomainName: 'ws.example.com',
  webSocketCertificateArn: REGIONAL_CERT,
  httpDomainName: 'api.example.com',
  httpCertificateArn: REGIONAL_CERT,
} as const;

const wsApiIdOf = (template: ReturnType<typeof synth>['template']) =>
  resourcesOf(template, 'AWS::ApiGatewayV2::Api').find(
    ([, a]) => a.Properties.ProtocolType === 'WEBSOCKET',
  )![0];
const httpApiIdOf = (template: ReturnType<typeof synth>['template']) =>
  resourcesOf(template, 'AWS::ApiGatewayV2::Api').find(([, a]) => a.Properties.ProtocolType === 'HTTP')![0];

describe('By default', () => {
  const { template } = synth();

  it('has no distribution, no CloudFront function or policy, no custom domain and no seed output', () => {
    const types = Object.values(template.toJSON().Resources as Record<string, Resource>).map((r) => r.Type);
    expect(types.filter((t) => t.startsWith('AWS::CloudFront::'))).toEqual([]);
    expect(types).not.toContain('AWS::ApiGatewayV2::DomainName');
    expect(types).not.toContain('AWS::ApiGatewayV2::ApiMapping');
    const outputs = Object.keys(template.toJSON().Outputs as Record<string, unknown>);
    expect(outputs.filter((o) => /Seed|Custom|DomainTarget/.test(o))).toEqual([]);
  });
});

describe('With seedPaths', () => {
  const { template } = synth({ ...VALID_PROPS, seedPaths: true });
  const [fnId, fn] = resourcesOf(template, 'AWS::CloudFront::Function')[0]!;
  const [distributionId, distribution] = resourcesOf(template, 'AWS::CloudFront::Distribution')[0]!;
  const config = distribution.Properties.DistributionConfig as Record<string, unknown>;
  const behavior = config.DefaultCacheBehavior as Record<string, unknown>;

  it('has one function, in the cloudfront-js-2.0 runtime, whose code is edge/seed-paths.js with its configuration', () => {
    expect(resourcesOf(template, 'AWS::CloudFront::Function')).toHaveLength(1);
    expect(fn.Properties.FunctionConfig).toMatchObject({ Runtime: 'cloudfront-js-2.0' });
    expect(fn.Properties.AutoPublish).toBe(true);
    expect(fn.Properties.FunctionCode).toBe(seedPathsCode(seedPathsConfig('prod')));
    expect(Buffer.byteLength(fn.Properties.FunctionCode as string)).toBeLessThan(MAX_FUNCTION_BYTES);
  });

  it('associates it with the default behavior on viewer request', () => {
    expect(resourcesOf(template, 'AWS::CloudFront::Distribution')).toHaveLength(1);
    expect(behavior.FunctionAssociations).toEqual([
      { EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [fnId, 'FunctionARN'] } },
    ]);
  });

  it('forwards to the WebSocket API over HTTPS, caches nothing, and takes HTTPS (wss://) only', () => {
    const origins = config.Origins as { DomainName: unknown; CustomOriginConfig: Record<string, unknown> }[];
    expect(origins).toHaveLength(1);
    expect(flatten(origins[0]!.DomainName)).toBe(
      `\${${wsApiIdOf(template)}}.execute-api.\${AWS::Region}.\${AWS::URLSuffix}`,
    );
    expect(origins[0]!.CustomOriginConfig).toMatchObject({
      OriginProtocolPolicy: 'https-only',
      OriginSSLProtocols: ['TLSv1.2'],
    });
    expect(behavior.CachePolicyId).toBe(CachePolicy.CACHING_DISABLED.cachePolicyId);
    expect(behavior.ViewerProtocolPolicy).toBe('https-only');
    expect(behavior.AllowedMethods).toEqual(['GET', 'HEAD']);
    expect(config.Aliases).toBeUndefined();
  });

  it('has an origin request policy that keeps the viewer Host from API Gateway and forwards the handshake', () => {
    const policies = resourcesOf(template, 'AWS::CloudFront::OriginRequestPolicy');
    expect(policies).toHaveLength(1);
    const [policyId, policy] = policies[0]!;
    expect(behavior.OriginRequestPolicyId).toEqual({ Ref: policyId });
    const policyConfig = policy.Properties.OriginRequestPolicyConfig as Record<
      string,
      Record<string, unknown>
    >;
    expect(policyConfig.HeadersConfig).toEqual({
      HeaderBehavior: 'whitelist',
      Headers: [...FORWARDED_HEADERS],
    });
    expect(FORWARDED_HEADERS).toEqual(
      expect.arrayContaining([
        'Sec-WebSocket-Key',
        'Sec-WebSocket-Version',
        'Sec-WebSocket-Extensions',
        'Sec-WebSocket-Protocol',
        'Origin',
      ]),
    );
    const forwarded = (policyConfig.HeadersConfig!.Headers as string[]).map((h) => h.toLowerCase());
    expect(forwarded).not.toContain('host');
    expect(forwarded).not.toContain('authorization'); // CloudFront refuses such a policy
    expect(policyConfig.QueryStringsConfig).toEqual({ QueryStringBehavior: 'all' });
    expect(policyConfig.CookiesConfig).toEqual({ CookieBehavior: 'none' });
  });

  it('outputs the seed-compatible URL, wss://{distribution}/ws/', () => {
    const url = new Capture();
    template.hasOutput('SeedWebSocketUrl', { Value: url });
    expect(flatten(url.asObject())).toBe(`wss://\${${distributionId}.DomainName}/ws/`);
    template.hasOutput('SeedDistributionDomainName', {
      Value: { 'Fn::GetAtt': [distributionId, 'DomainName'] },
    });
  });

  it('keeps every function posting to the execute-api callback URL', () => {
    const { template: t, functionId } = synth({ ...VALID_PROPS, seedPaths: true });
    for (const name of usedLambdas()) {
      expect(flatten(environmentOf(t, functionId(name)).WS_CALLBACK_URL)).toBe(
        `https://\${${wsApiIdOf(t)}}.execute-api.\${AWS::Region}.\${AWS::URLSuffix}/prod`,
      );
    }
  });
});

describe('The synthesized function, run as the local stack runs it', () => {
  const codeOf = (props: SwitchboardStackProps) => {
    const { template } = synth({ ...VALID_PROPS, seedPaths: true, ...props });
    return resourcesOf(template, 'AWS::CloudFront::Function')[0]![1].Properties.FunctionCode as string;
  };
  const rewrite = (code: string, path: string) => {
    const result = loadFunctionCode(code)(
      viewerRequestEvent('GET', path, [], { ip: '198.51.100.7', domain: 'd' }),
    );
    return isGeneratedResponse(result) ? result.statusCode : originUrl(result);
  };

  it('carries the stage and the choices given as props', () => {
    const code = codeOf({
      stageName: 'dev',
      seedChat: 'chats',
      seedNotifications: '004',
      seedCounter: 'visits',
    });
    expect(rewrite(code, '/ws/chat/7/')).toBe('/dev?channels=chat%3A7&dialect=seed003.chat');
    expect(rewrite(code, '/ws/notifications/')).toBe('/dev?dialect=seed004.notifications');
    expect(rewrite(code, '/ws/counter/')).toBe('/dev?channels=counter%3Avisits&dialect=seed001.counter');
    expect(rewrite(code, '/ws/elsewhere/')).toBe(404);
  });

  it('defaults to rooms, seed 001 notifications and the global counter', () => {
    const code = codeOf({});
    expect(rewrite(code, '/ws/chat/7/')).toBe('/prod?channels=room%3A7&dialect=seed001.chat');
    expect(rewrite(code, '/ws/notifications/')).toBe('/prod?dialect=seed001.notifications');
    expect(rewrite(code, '/ws/counter/')).toBe('/prod?channels=counter%3Aglobal&dialect=seed001.counter');
  });
});

describe('With custom domain names', () => {
  const { template, functionId } = synth({ ...VALID_PROPS, seedPaths: true, ...ALL_DOMAINS });
  const wsApiId = wsApiIdOf(template);
  const httpApiId = httpApiIdOf(template);
  const domains = resourcesOf(template, 'AWS::ApiGatewayV2::DomainName');
  const domainId = (name: string) => domains.find(([, d]) => d.Properties.DomainName === name)![0];

  it('gives each API a regional domain name with its certificate and TLS 1.2', () => {
    expect(domains.map(([, d]) => d.Properties.DomainName).sort()).toEqual([
      'api.example.com',
      'ws.example.com',
    ]);
    for (const [, d] of domains) {
      expect(d.Properties.DomainNameConfigurations).toEqual([
        { CertificateArn: REGIONAL_CERT, EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' },
      ]);
    }
  });

  it('maps the WebSocket stage and the HTTP $default stage at the root of their names', () => {
    const stageOf = (apiId: string) =>
      resourcesOf(template, 'AWS::ApiGatewayV2::Stage').find(
        ([, s]) => (s.Properties.ApiId as { Ref: string }).Ref === apiId,
      )![0];
    // The stage by name, after the stage exists.
    for (const [apiId, name, stage] of [
      [wsApiId, 'ws.example.com', 'prod'],
      [httpApiId, 'api.example.com', '$default'],
    ] as const) {
      template.hasResource('AWS::ApiGatewayV2::ApiMapping', {
        Properties: {
          ApiId: { Ref: apiId },
          DomainName: { Ref: domainId(name) },
          Stage: stage,
          ApiMappingKey: Match.absent(),
        },
        DependsOn: [stageOf(apiId)],
      });
    }
    expect(resourcesOf(template, 'AWS::ApiGatewayV2::ApiMapping')).toHaveLength(2);
  });

  it('gives the distribution its name and us-east-1 certificate (SNI, TLS 1.2)', () => {
    const [distributionId, distribution] = resourcesOf(template, 'AWS::CloudFront::Distribution')[0]!;
    const config = distribution.Properties.DistributionConfig as Record<string, unknown>;
    expect(config.Aliases).toEqual(['realtime.example.com']);
    expect(config.ViewerCertificate).toEqual({
      AcmCertificateArn: SEED_CERT,
      SslSupportMethod: 'sni-only',
      MinimumProtocolVersion: 'TLSv1.2_2021',
    });
    template.hasOutput('SeedWebSocketUrl', { Value: 'wss://realtime.example.com/ws/' });
    template.hasOutput('SeedDistributionDomainName', {
      Value: { 'Fn::GetAtt': [distributionId, 'DomainName'] },
    });
  });

  it('outputs the URLs on the names and where their DNS records point', () => {
    template.hasOutput('WebSocketCustomUrl', { Value: 'wss://ws.example.com' });
    template.hasOutput('HttpCustomUrl', { Value: 'https://api.example.com' });
    template.hasOutput('WebSocketDomainTarget', {
      Value: { 'Fn::GetAtt': [domainId('ws.example.com'), 'RegionalDomainName'] },
    });
    template.hasOutput('HttpDomainTarget', {
      Value: { 'Fn::GetAtt': [domainId('api.example.com'), 'RegionalDomainName'] },
    });
  });

  it('still posts to the execute-api callback URL, never to the custom domain (it would not reach the stage)', () => {
    for (const name of usedLambdas()) {
      const callback = flatten(environmentOf(template, functionId(name)).WS_CALLBACK_URL);
      expect(callback).toBe(`https://\${${wsApiId}}.execute-api.\${AWS::Region}.\${AWS::URLSuffix}/prod`);
      expect(callback).not.toContain('example.com');
    }
    const callback = new Capture();
    template.hasOutput('WebSocketCallbackUrl', { Value: callback });
    expect(flatten(callback.asObject())).toContain('.execute-api.');
  });

  it('needs no distribution for the API names alone', () => {
    const { template: t } = synth({
      ...VALID_PROPS,
      webSocketDomainName: 'ws.example.com',
      webSocketCertificateArn: REGIONAL_CERT,
    });
    expect(resourcesOf(t, 'AWS::CloudFront::Distribution')).toEqual([]);
    expect(resourcesOf(t, 'AWS::ApiGatewayV2::DomainName')).toHaveLength(1);
    expect(resourcesOf(t, 'AWS::ApiGatewayV2::ApiMapping')).toHaveLength(1);
  });
});

describe('Props that cannot work are refused, each named', () => {
  const problemsOf = (props: SwitchboardStackProps): readonly string[] => {
    try {
      synth({ ...VALID_PROPS, ...props });
    } catch (error) {
      if (error instanceof InvalidStackPropsError) return error.problems;
      throw error;
    }
    return [];
  };

  it.each([
    [{ seedPaths: true, seedChat: 'threads' as never }, /seedChat must be "rooms"/],
    [{ seedPaths: true, seedNotifications: '002' as never }, /seedNotifications must be "001" or "004"/],
    [{ seedPaths: true, seedCounter: 'a:b' }, /seedCounter "a:b"/],
    [
      { seedPaths: true, seedDomainName: 'realtime.example.com' },
      /seedDomainName and seedCertificateArn go together/,
    ],
    [
      { webSocketCertificateArn: REGIONAL_CERT },
      /webSocketDomainName and webSocketCertificateArn go together/,
    ],
    [{ httpDomainName: 'api.example.com' }, /httpDomainName and httpCertificateArn go together/],
    [
      { seedDomainName: 'realtime.example.com', seedCertificateArn: SEED_CERT },
      /seedDomainName needs seedPaths/,
    ],
    [
      { seedPaths: true, seedDomainName: 'realtime.example.com', seedCertificateArn: REGIONAL_CERT },
      /seedCertificateArn must be a certificate in us-east-1.*not eu-west-1/,
    ],
    [{ webSocketDomainName: 'WS.Example.com', webSocketCertificateArn: REGIONAL_CERT }, /is not a host name/],
    [{ httpDomainName: 'api.example.com', httpCertificateArn: 'cert-123' }, /is not an ACM certificate ARN/],
  ] as [SwitchboardStackProps, RegExp][])('%j', (props, problem) => {
    expect(problemsOf(props)).toEqual([expect.stringMatching(problem)]);
  });
});

describe('With -c on the command line', () => {
  it('turns the strings into the edge props', () => {
    const values: Record<string, string> = {
      seedPaths: 'true',
      seedChat: 'chats',
      seedNotifications: '004',
      seedCounter: 'visits',
      ...ALL_DOMAINS,
    };
    const { props } = settingsFromContext({ tryGetContext: (key: string) => values[key] });
    expect(props).toMatchObject({ ...values, seedPaths: true });
    expect(() => synth({ ...VALID_PROPS, ...props })).not.toThrow();
  });

  it('refuses a seedPaths that is not true or false', () => {
    expect(() =>
      settingsFromContext({ tryGetContext: (key: string) => (key === 'seedPaths' ? 'yes' : undefined) }),
    ).toThrow(/-c seedPaths=yes: expected true or false/);
  });
});
