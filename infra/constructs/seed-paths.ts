import { Validations } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  Function as EdgeFunction,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  OriginProtocolPolicy,
  OriginRequestCookieBehavior,
  OriginRequestHeaderBehavior,
  OriginRequestPolicy,
  OriginRequestQueryStringBehavior,
  OriginSslPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { Construct } from 'constructs';
import { FORWARDED_HEADERS, type SeedPathsConfig, seedPathsCode } from '../../edge/index';

export interface SwitchboardSeedPathsProps {
  /** The WebSocket API's own host (`{apiId}.execute-api.{region}.{urlSuffix}`): the origin. */
  readonly originHost: string;
  /** The stage and the per-deployment choices the function is built with. */
  readonly config: SeedPathsConfig;
  /**
   * A name of your own for the distribution, e.g. `realtime.example.com`.
   * @default - the distribution's `d….cloudfront.net` name only
   */
  readonly domainName?: string;
  /** An ACM certificate in us-east-1 for `domainName` (CloudFront takes no other region's). */
  readonly certificateArn?: string;
}

/**
 * The seed documents' URLs in front of the WebSocket API: a CloudFront distribution whose viewer-request
 * function (edge/seed-paths.js) rewrites `/ws/chat/{room}/` and the others to the stage URL with
 * `channels=` and a dialect marker. Nothing is cached; API Gateway sees its own Host and the handshake's
 * headers; HTTPS only (`wss://`).
 */
export class SwitchboardSeedPaths extends Construct {
  public readonly function: EdgeFunction;
  public readonly originRequestPolicy: OriginRequestPolicy;
  public readonly distribution: Distribution;
  /** `wss://{name}/ws/`: the seed documents' base URL (001's "Base URL") on this deployment. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: SwitchboardSeedPathsProps) {
    super(scope, id);
    if ((props.domainName === undefined) !== (props.certificateArn === undefined)) {
      throw new Error('SwitchboardSeedPaths: domainName and certificateArn go together');
    }

    this.function = new EdgeFunction(this, 'Rewrite', {
      code: FunctionCode.fromInline(seedPathsCode(props.config)),
      runtime: FunctionRuntime.JS_2_0,
      comment: 'Switchboard seed paths: Django Channels URLs to the WebSocket stage (edge/seed-paths.js)',
    });

    // Not the viewer's Host (API Gateway answers 403 to a Host not its own); not Authorization, which an
    // origin request policy may not forward (the function moves a bearer token into ?token=).
    this.originRequestPolicy = new OriginRequestPolicy(this, 'OriginRequest', {
      comment: 'Switchboard seed paths: the WebSocket handshake headers, Origin and every query parameter',
      headerBehavior: OriginRequestHeaderBehavior.allowList(...FORWARDED_HEADERS),
      queryStringBehavior: OriginRequestQueryStringBehavior.all(),
      cookieBehavior: OriginRequestCookieBehavior.none(),
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Switchboard seed paths (wss://…/ws/…) in front of the WebSocket API',
      defaultBehavior: {
        origin: new HttpOrigin(props.originHost, {
          protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
          originSslProtocols: [OriginSslPolicy.TLS_V1_2],
        }),
        viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_DISABLED,
        originRequestPolicy: this.originRequestPolicy,
        compress: false,
        functionAssociations: [{ function: this.function, eventType: FunctionEventType.VIEWER_REQUEST }],
      },
      ...(props.domainName && props.certificateArn
        ? {
            domainNames: [props.domainName],
            certificate: Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn),
          }
        : {}),
    });
    this.url = `wss://${props.domainName ?? this.distribution.distributionDomainName}/ws/`;

    // cdk-nag (infra/README.md): what the distribution leaves to the WebSocket stage behind it.
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR3',
        reason:
          'Every handshake the distribution passes on reaches the WebSocket stage, whose JSON access log records ' +
          'it and every frame after it (request and connection ids, route, status, errors); only the paths the ' +
          'viewer-request function refuses itself (404, 400) are not logged.',
      },
      {
        id: 'AwsSolutions-CFR1',
        reason:
          'The seed clients connect from wherever they are, as they did before the migration: restricting ' +
          "countries is the deployer's decision, not a default.",
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'WAF inspects only the HTTP upgrade request of a WebSocket, never its frames; the stage throttles ' +
          'connects and frames, and the $connect authorizer checks the token and Origin. Attach a web ACL where ' +
          'a policy asks for one.',
      },
    );
    if (!(props.domainName && props.certificateArn)) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR4',
        reason:
          "Without a name of its own the distribution serves CloudFront's *.cloudfront.net certificate, whose " +
          'minimum protocol CloudFront fixes at TLSv1; with seedDomainName and seedCertificateArn it is TLSv1.2_2021.',
      });
    }
  }
}
