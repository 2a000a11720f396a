import { createHmac, hash } from 'node:crypto';
import type { CredentialsProvider } from '../aws/credentials';
import { canonicalPath, SigningKeys } from '../aws/signer';

export type { Credentials, CredentialsProvider } from '../aws/credentials';

/**
 * SigV4 for exactly one request shape: `POST /{stage}/@connections/{id}` with a binary body, the hot path of
 * every fan-out. It signs what `@smithy/signature-v4` signs for this request (content-length, content-type,
 * host, x-amz-content-sha256, x-amz-date, x-amz-security-token) and produces the same Authorization
 * header, byte for byte (test/unit/adapters/post-signer.test.ts checks it against smithy), at a fraction of
 * the CPU: it skips the general request canonicalisation a signer for any request needs. The derived
 * signing key is kept per day and per credentials.
 */
export class PostSigner {
  readonly #keys: SigningKeys;
  readonly #hashes = new WeakMap<Uint8Array, string>();

  constructor(
    region: string,
    service: string,
    private readonly credentials: CredentialsProvider,
  ) {
    this.#keys = new SigningKeys(region, service);
  }

  /**
   * The headers to send for a POST of `body` to `path` (URL-encoded once, as it goes on the wire) at
   * `host`. `now` is for tests.
   */
  async sign(
    host: string,
    path: string,
    body: Uint8Array,
    now: Date = new Date(),
  ): Promise<Record<string, string>> {
    const creds = await this.credentials();
    const amzDate = now.toISOString().replace(/[-:]|\.\d{3}/g, ''); // 20261123T120000Z
    const day = amzDate.slice(0, 8);
    const payloadHash = this.#payloadHash(body);
    const length = String(body.byteLength);
    const token = creds.sessionToken;
    const signedHeaders = token
      ? 'content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token'
      : 'content-length;content-type;host;x-amz-content-sha256;x-amz-date';
    const canonicalRequest =
      `POST\n${canonicalPath(path)}\n\n` +
      `content-length:${length}\ncontent-type:application/octet-stream\nhost:${host}\n` +
      `x-amz-content-sha256:${payloadHash}\nx-amz-date:${amzDate}\n` +
      (token ? `x-amz-security-token:${token}\n` : '') +
      `\n${signedHeaders}\n${payloadHash}`;
    const scope = this.#keys.scope(day);
    const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${hash('sha256', canonicalRequest, 'hex')}`;
    const signature = createHmac('sha256', this.#keys.get(day, creds)).update(stringToSign).digest('hex');
    return {
      host,
      'content-type': 'application/octet-stream',
      'content-length': length,
      'x-amz-date': amzDate,
      ...(token ? { 'x-amz-security-token': token } : {}),
      'x-amz-content-sha256': payloadHash,
      authorization: `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
    };
  }

  /**
   * A fan-out posts the same bytes (one Uint8Array, never written to again: core/delivery/envelope.ts) to
   * every recipient, so their hash is computed once per payload, not once per post.
   */
  #payloadHash(body: Uint8Array): string {
    let digest = this.#hashes.get(body);
    if (digest === undefined) {
      digest = hash('sha256', body, 'hex');
      this.#hashes.set(body, digest);
    }
    return digest;
  }
}
