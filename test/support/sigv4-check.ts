import { createHash } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { expect } from 'vitest';
import type { StubRequest } from './management-api-stub';

export interface SigningScope {
  region: string;
  service: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/**
 * Checks a request a stub server received against the AWS SDK's own signer (`@smithy/signature-v4`): the
 * same headers (those the request lists as signed), date, path, query and body must give the same
 * Authorization header, and `x-amz-content-sha256` must be the body's hash (smithy takes it as given).
 */
export async function expectSignedBy(request: StubRequest, scope: SigningScope): Promise<void> {
  const authorization = String(request.headers.authorization ?? '');
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(';') ?? [];
  expect(signedHeaders).toEqual(expect.arrayContaining(['host', 'x-amz-date']));
  const amzDate = String(request.headers['x-amz-date']);
  const at = new Date(
    amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
  );
  const bodyHash = createHash('sha256').update(request.body).digest('hex');
  if (request.headers['x-amz-content-sha256'] !== undefined) {
    expect(request.headers['x-amz-content-sha256']).toBe(bodyHash);
  }
  const url = new URL(request.url, 'http://stub');
  const host = String(request.headers.host);
  const signer = new SignatureV4({ ...scope, sha256: Hash.bind(null, 'sha256') });
  const signed = await signer.sign(
    new HttpRequest({
      method: request.method,
      protocol: 'http:',
      hostname: host.split(':')[0] ?? host,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: Object.fromEntries(signedHeaders.map((h) => [h, String(request.headers[h])])),
      body: request.body,
    }),
    { signingDate: at },
  );
  expect(authorization).toBe(signed.headers.authorization);
  expect(authorization).toContain(`/${scope.region}/${scope.service}/aws4_request`);
}
