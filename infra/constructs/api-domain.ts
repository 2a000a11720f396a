import { ApiMapping, DomainName, type IApi, type IStage, SecurityPolicy } from 'aws-cdk-lib/aws-apigatewayv2';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { Construct } from 'constructs';

export interface SwitchboardApiDomainProps {
  /** e.g. `ws.example.com`. */
  readonly domainName: string;
  /** An ACM certificate for `domainName` in the stack's own region (a regional API Gateway domain). */
  readonly certificateArn: string;
  /** The WebSocket or HTTP API the name serves. */
  readonly api: IApi;
  /** The stage at the root of the name: the WebSocket stage, or the HTTP API's `$default`. */
  readonly stage: IStage;
  /** The URL scheme clients use: `wss` or `https`. */
  readonly scheme: 'wss' | 'https';
}

/**
 * A custom domain name for one API: the regional API Gateway domain with its certificate, and an API mapping
 * of the stage at its root (`wss://ws.example.com`, no stage in the path). Clients only: the Management API
 * is never called through it (a post to `https://{custom domain}/@connections/…` does not reach the stage),
 * so the stack keeps WS_CALLBACK_URL on the execute-api host.
 */
export class SwitchboardApiDomain extends Construct {
  public readonly domain: DomainName;
  public readonly mapping: ApiMapping;
  /** `wss://ws.example.com` or `https://api.example.com`. */
  public readonly url: string;
  /** Where the name's DNS record points (a CNAME, or a Route 53 alias with `regionalHostedZoneId`). */
  public readonly target: string;

  constructor(scope: Construct, id: string, props: SwitchboardApiDomainProps) {
    super(scope, id);
    this.domain = new DomainName(this, 'Name', {
      domainName: props.domainName,
      certificate: Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn),
      securityPolicy: SecurityPolicy.TLS_1_2,
    });
    this.mapping = new ApiMapping(this, 'Mapping', {
      api: props.api,
      domainName: this.domain,
      stage: props.stage,
    });
    this.url = `${props.scheme}://${props.domainName}`;
    this.target = this.domain.regionalDomainName;
  }
}
