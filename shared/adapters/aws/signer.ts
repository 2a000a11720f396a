import { createHmac, hash } from 'node:crypto';
import type { Credentials, CredentialsProvider } from './credentials';

export interface SignableRequest {
  method: string;
  host: string;
  /** As it goes on the wire: each segment URI-encoded once. */
  path: string;
  /** Names and values unencoded: the signer canonicalises them (and the caller sends `queryString(query)`). */
  query?: Record<string, string> | undefined;
  /** Lower-case names; every one is signed. */
  headers?: Record<string, string> | undefined;
  body?: Uint8Array | string | undefined;
}

/**
 * AWS Signature Version 4 for the few requests the lean clients make (DynamoDB and SQS's JSON protocol, the
 * Management API's GET and DELETE, Lambda's Invoke): the headers given, `host`, `x-amz-date`,
 * `x-amz-content-sha256` and the session token are signed, as `@smithy/signature-v4` signs them
 * (test/unit/adapters/aws-signer.test.ts compares the two). The derived signing key is kept per day and
 * per credentials.
 */
export class SigV4Signer {
  readonly #keys: SigningKeys;

  constructor(
    region: string,
    service: string,
    private readonly credentials: CredentialsProvider,
  ) {
    this.#keys = new SigningKeys(region, service);
  }

  /** `req.headers` plus host, x-amz-date, x-amz-content-sha256, x-amz-security-token (if any), authorization. */
  async sign(req: SignableRequest, now: Date = new Date()): Promise<Record<string, string>> {
    const creds = await this.credentials();
    const amzDate = now.toISOString().replace(/[-:]|\.\d{3}/g, ''); // 20261123T120000Z
    const day = amzDate.slice(0, 8);
    const payloadHash = hash('sha256', req.body ?? '', 'hex');
    const headers: Record<string, string> = {
      ...req.headers,
      host: req.host,
      'x-amz-date': amzDate,
      'x-amz-content-sha256': payloadHash,
      ...(creds.sessionToken ? { 'x-amz-security-token': creds.sessionToken } : {}),
    };
    const names = Object.keys(headers).sort();
    const signedHeaders = names.join(';');
    const canonicalHeaders = names
      .map((n) => `${n}:${String(headers[n]).trim().replace(/\s+/g, ' ')}\n`)
      .join('');
    const canonicalRequest = `${req.method}\n${canonicalPath(req.path)}\n${canonicalQuery(req.query)}\n${canonicalHeaders}\n${signedHeaders}\n${payloadHash}`;
    const scope = this.#keys.scope(day);
    const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
    const signature = createHmac('sha256', this.#keys.get(day, creds)).update(stringToSign).digest('hex');
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return headers;
  }
}

/** SigV4's derived signing key, kept while the day and the credentials stay the same. */
export class SigningKeys {
  #key: { day: string; accessKeyId: string; secret: string; key: Buffer } | null = null;

  constructor(
    private readonly region: string,
    private readonly service: string,
  ) {}

  /** The credential scope of a request signed on `day` (yyyymmdd). */
  scope(day: string): string {
    return `${day}/${this.region}/${this.service}/aws4_request`;
  }

  get(day: string, creds: Credentials): Buffer {
    const k = this.#key;
    if (k && k.day === day && k.accessKeyId === creds.accessKeyId && k.secret === creds.secretAccessKey)
      return k.key;
    const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
    const key = hmac(
      hmac(hmac(hmac(`AWS4${creds.secretAccessKey}`, day), this.region), this.service),
      'aws4_request',
    );
    this.#key = { day, accessKeyId: creds.accessKeyId, secret: creds.secretAccessKey, key };
    return key;
  }
}

const sha256Hex = (s: string) => hash('sha256', s, 'hex');

/** RFC 3986 encoding, as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
export function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** SigV4's canonical path for services other than S3: each segment (as on the wire) URI-encoded once more. */
export function canonicalPath(path: string): string {
  return path.split('/').map(uriEncode).join('/');
}

/** The query as SigV4 canonicalises it, which is also a valid query string to send. */
export function canonicalQuery(query: Record<string, string> | undefined): string {
  if (!query) return '';
  return Object.entries(query)
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}
