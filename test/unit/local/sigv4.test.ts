import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { type SignedRequest, verifySigV4 } from '../../../local/sigv4';
import { PostSigner } from '../../../shared/adapters/management-api/post-signer';

/**
 * The local stack's SigV4 verifier against the reference, the AWS SDK's own signer (@smithy/signature-v4):
 * what it signs passes, and each kind of tampering fails with the error type and message AWS sends.
 */
const credentials = { accessKeyId: 'LOCALABCDEFGHIJKLMNO', secretAccessKey: 'c2VjcmV0/with+chars=' };
const scope = { credentials, region: 'eu-west-1', service: 'execute-api' };
const host = '127.0.0.1:8080';
const at = new Date('2026-11-23T12:00:00Z');
const now = at.getTime();

interface Spec {
  method: string;
  path: string;
  query?: Record<string, string>;
  body?: Uint8Array;
  headers?: Record<string, string>;
}

async function sign(spec: Spec, options: { creds?: typeof credentials; date?: Date; region?: string } = {}) {
  const signer = new SignatureV4({
    service: 'execute-api',
    region: options.region ?? 'eu-west-1',
    credentials: options.creds ?? credentials,
    sha256: Hash.bind(null, 'sha256'),
  });
  const body = spec.body ?? new Uint8Array();
  const signed = await signer.sign(
    new HttpRequest({
      method: spec.method,
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 8080,
      path: spec.path,
      query: spec.query ?? {},
      headers: { host, 'content-type': 'application/json', ...spec.headers },
      body,
    }),
    { signingDate: options.date ?? at },
  );
  const query = new URLSearchParams(spec.query ?? {}).toString().replace(/\+/g, '%20');
  const request: SignedRequest = {
    method: spec.method,
    url: query ? `${spec.path}?${query}` : spec.path,
    rawHeaders: Object.entries(signed.headers).flat(),
  };
  return { request, body };
}

const post: Spec = {
  method: 'POST',
  path: '/local/@connections/abc%2B%2Fdef%3D',
  body: new TextEncoder().encode('{"type":"x","text":"héllo ✓"}'),
};

describe('verifySigV4', () => {
  it.each<[string, Spec]>([
    ['a post with a body', post],
    [
      'a GET with a query string',
      {
        method: 'GET',
        path: '/local/@connections/L0SM9cOFvHcCIhw%3D',
        query: { b: 'x y', a: '2', 'c*': "it's" },
      },
    ],
    ['a DELETE without a body', { method: 'DELETE', path: '/local/@connections/plain' }],
    [
      'a path with characters encodeURIComponent leaves as they are, and one it encodes',
      { method: 'GET', path: "/local/@connections/a!b'c(d)e*f~g_h.i-j%20k" },
    ],
    [
      'an Invoke API path with an encoded ARN',
      {
        method: 'POST',
        path: '/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Alive-stats/invocations',
      },
    ],
    ['an unsigned payload', { ...post, headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }],
  ])('accepts what the AWS SDK signs: %s', async (_, spec) => {
    const { request, body } = await sign(spec);
    expect(verifySigV4(request, body, scope, now)).toEqual({ ok: true });
  });

  it("accepts the project's lean post signer, which therefore signs as the SDK does", async () => {
    const signer = new PostSigner('eu-west-1', 'execute-api', async () => credentials);
    const body = new TextEncoder().encode('{"type":"lean"}');
    const headers = await signer.sign(host, post.path, body, at);
    const request = { method: 'POST', url: post.path, rawHeaders: Object.entries(headers).flat() };
    expect(verifySigV4(request, body, scope, now)).toEqual({ ok: true });
  });

  it('hashes each body it is given, also right after another body of the same length', async () => {
    const a = await sign(post);
    const b = await sign({ ...post, body: new TextEncoder().encode('{"type":"x","text":"hèllo ✓"}') });
    expect(b.body.length).toBe(a.body.length);
    expect(verifySigV4(a.request, a.body, scope, now)).toEqual({ ok: true });
    expect(verifySigV4(b.request, b.body, scope, now)).toEqual({ ok: true });
    expect(verifySigV4(a.request, b.body, scope, now)).toMatchObject({
      ok: false,
      type: 'InvalidSignatureException',
    });
    expect(verifySigV4(a.request, a.body, scope, now)).toEqual({ ok: true });
  });

  it('refuses a body other than the one signed, with the canonical request AWS would have expected', async () => {
    const { request } = await sign(post);
    const outcome = verifySigV4(request, new TextEncoder().encode('{"type":"injected"}'), scope, now);
    expect(outcome).toMatchObject({ ok: false, type: 'InvalidSignatureException' });
    const message = outcome.ok ? '' : outcome.message;
    expect(message).toMatch(
      /^The request signature we calculated does not match the signature you provided\./,
    );
    expect(message).toContain(
      "The Canonical String for this request should have been\n'POST\n/local/%40connections/abc%252B%252Fdef%253D\n",
    );
  });

  it('refuses a wrong secret (InvalidSignatureException) and an unknown key id (UnrecognizedClientException)', async () => {
    const wrongSecret = await sign(post, { creds: { ...credentials, secretAccessKey: 'guess' } });
    expect(verifySigV4(wrongSecret.request, wrongSecret.body, scope, now)).toMatchObject({
      ok: false,
      type: 'InvalidSignatureException',
    });
    const wrongKey = await sign(post, { creds: { accessKeyId: 'AKIDSOMEONEELSE', secretAccessKey: 'x' } });
    expect(verifySigV4(wrongKey.request, wrongKey.body, scope, now)).toEqual({
      ok: false,
      type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    });
  });

  it('refuses a date more than 5 minutes off either way, as API Gateway does', async () => {
    const stale = await sign(post, { date: new Date(now - 5 * 60_000 - 1_000) });
    expect(verifySigV4(stale.request, stale.body, scope, now)).toEqual({
      ok: false,
      type: 'InvalidSignatureException',
      message:
        'Signature expired: 20261123T115459Z is now earlier than 20261123T115500Z (20261123T120000Z - 5 min.)',
    });
    const future = await sign(post, { date: new Date(now + 5 * 60_000 + 1_000) });
    expect(verifySigV4(future.request, future.body, scope, now)).toEqual({
      ok: false,
      type: 'InvalidSignatureException',
      message:
        'Signature not yet current: 20261123T120501Z is still later than 20261123T120500Z (20261123T120000Z + 5 min.)',
    });
    const within = await sign(post, { date: new Date(now - 4 * 60_000) });
    expect(verifySigV4(within.request, within.body, scope, now)).toEqual({ ok: true });
  });

  it('refuses another region or service in the credential scope', async () => {
    const region = await sign(post, { region: 'us-east-1' });
    expect(verifySigV4(region.request, region.body, scope, now)).toEqual({
      ok: false,
      type: 'InvalidSignatureException',
      message: 'Credential should be scoped to a valid region. ',
    });
    const { request, body } = await sign(post);
    expect(verifySigV4(request, body, { ...scope, service: 'lambda' }, now)).toMatchObject({
      ok: false,
      message: "Credential should be scoped to correct service: 'lambda'. ",
    });
  });

  it('refuses a session token it never issued, a made-up header, and a request without one', async () => {
    const { request, body } = await sign({ ...post, headers: { 'x-amz-security-token': 'token' } });
    expect(verifySigV4(request, body, scope, now)).toMatchObject({ type: 'UnrecognizedClientException' });
    const madeUp = { method: 'POST', url: post.path, rawHeaders: ['Authorization', 'AWS4-HMAC-SHA256 x'] };
    expect(verifySigV4(madeUp, new Uint8Array(), scope, now)).toEqual({
      ok: false,
      type: 'IncompleteSignatureException',
      message:
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
        "Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either " +
        "a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 x",
    });
    expect(verifySigV4({ method: 'GET', url: '/', rawHeaders: [] }, new Uint8Array(), scope, now)).toEqual({
      ok: false,
      type: 'MissingAuthenticationTokenException',
      message: 'Missing Authentication Token',
    });
  });
});
