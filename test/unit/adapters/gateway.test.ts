import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AwsServiceError } from '../../../shared/adapters/aws/http';
import {
  isGoneError,
  isRetryable,
  ManagementApiClient,
} from '../../../shared/adapters/management-api/client';
import { ManagementApiGateway } from '../../../shared/adapters/management-api/gateway';
import { GatewayError } from '../../../shared/core/ports';
import { type ManagementApiStub, startManagementApiStub } from '../../support/management-api-stub';
import { expectSignedBy } from '../../support/sigv4-check';

/**
 * The Management API client against an in-process stub of the Management API (a loopback server): the
 * requests it sends (signed as the SDK's signer signs them), the SDK's error shapes it turns answers into,
 * GET and DELETE with the SDK's retries; then the Gateway port, which turns those into the protocol's
 * terms. (The local stack's emulator runs the same paths for real.)
 */
let stub: ManagementApiStub;
let endpoint: string;
beforeAll(async () => {
  stub = await startManagementApiStub();
  endpoint = stub.endpoint;
});
afterAll(() => stub.close());
afterEach(() => {
  stub.requests.length = 0;
  stub.answer = () => ({ status: 200 });
});
const seen = () => stub.requests;
const answer = (a: ManagementApiStub['answer']) => {
  stub.answer = a;
};

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token/+=' };
const scope = { region: 'eu-west-1', service: 'execute-api', credentials };
const client = () => new ManagementApiClient({ endpoint, region: 'eu-west-1', credentials });
const gateway = () => new ManagementApiGateway({ endpoint, region: 'eu-west-1', credentials });

describe('the lean post path', () => {
  it('sends a SigV4-signed POST to /{stage}/@connections/{url-encoded id} with the bytes unchanged', async () => {
    const gw = client();
    await gw.post('L0SM9cOFvHcCIhw=', new TextEncoder().encode('{"type":"x","text":"héllo"}'));
    gw.destroy();
    expect(seen()).toHaveLength(1);
    const [req] = seen();
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/prod/@connections/L0SM9cOFvHcCIhw%3D');
    expect(req?.body).toBe('{"type":"x","text":"héllo"}');
    expect(req?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=.*host.*, Signature=[0-9a-f]{64}$/,
    );
    expect(req?.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    await expectSignedBy(req!, scope);
  });

  it('posts once: a 429 is the caller’s to retry (core/delivery/post.ts), not the client’s', async () => {
    answer(() => ({ status: 429, headers: { 'x-amzn-errortype': 'LimitExceededException' }, body: '{}' }));
    const gw = client();
    const error = await gw.post('c1', new Uint8Array([1])).catch((e: unknown) => e);
    gw.destroy();
    expect(error).toMatchObject({ name: 'LimitExceededException', $metadata: { httpStatusCode: 429 } });
    expect(isRetryable(error)).toBe(true);
    expect(seen()).toHaveLength(1);
  });

  it('reuses one keep-alive socket for consecutive posts', async () => {
    const sockets = new Set<unknown>();
    const onConnection = (s: unknown) => sockets.add(s);
    stub.server.on('connection', onConnection);
    const gw = client();
    for (let i = 0; i < 5; i++) await gw.post('c1', new Uint8Array([123, 125]));
    gw.destroy();
    stub.server.off('connection', onConnection);
    expect(seen()).toHaveLength(5);
    expect(sockets.size).toBe(1);
  });

  it.each([
    [410, 'GoneException', { 'x-amzn-errortype': 'GoneException' }],
    [410, 'GoneException', {}],
    [429, 'LimitExceededException', {}],
    [413, 'PayloadTooLargeException', {}],
    [403, 'ForbiddenException', {}],
    [500, 'InternalServerError', {}],
  ])('turns HTTP %i into the SDK error %s with $metadata.httpStatusCode', async (status, name, headers) => {
    answer(() => ({
      status,
      headers: { 'content-type': 'application/json', ...headers },
      body: '{"message":"nope"}',
    }));
    const gw = client();
    const error = await gw.post('c1', new Uint8Array([1])).catch((e: unknown) => e);
    gw.destroy();
    expect(error).toMatchObject({ name, message: 'nope', $metadata: { httpStatusCode: status } });
    expect(isGoneError(error)).toBe(status === 410);
  });
});

describe('the Gateway port', () => {
  it('answers delivered, and gone for a 410: no error for either', async () => {
    const gw = gateway();
    expect(await gw.post('c1', new Uint8Array([1]))).toBe('delivered');
    answer(() => ({ status: 410, headers: { 'x-amzn-errortype': 'GoneException' }, body: '{}' }));
    expect(await gw.post('c1', new Uint8Array([1]))).toBe('gone');
    gw.destroy();
  });

  it.each([
    [429, true],
    [500, true],
    [503, true],
    [403, false],
    [413, false],
  ])(
    'throws its own GatewayError for HTTP %i, retryable: %s, never an SDK error',
    async (status, retryable) => {
      answer(() => ({
        status,
        headers: { 'content-type': 'application/json' },
        body: '{"message":"nope"}',
      }));
      const gw = gateway();
      const error = await gw.post('c1', new Uint8Array([1])).catch((e: unknown) => e);
      gw.destroy();
      expect(error).toBeInstanceOf(GatewayError);
      expect(error).toMatchObject({ name: 'GatewayError', status, retryable });
      expect(Object.getPrototypeOf(error)).toBe(GatewayError.prototype);
    },
  );
});

describe('GET and DELETE', () => {
  const connectionJson = JSON.stringify({
    connectedAt: '2026-11-23T10:00:00Z',
    identity: { sourceIp: '1.2.3.4', userAgent: 'ua' },
    lastActiveAt: '2026-11-23T10:05:30.250Z',
  });
  const gone = { status: 410, headers: { 'x-amzn-errortype': 'GoneException' }, body: '{"message":"Gone"}' };

  it('reads a connection with a signed GET /{stage}/@connections/{id}, and null when it is gone', async () => {
    answer((req) =>
      req.url.endsWith('/alive%2B%3D')
        ? { status: 200, headers: { 'content-type': 'application/json' }, body: connectionJson }
        : gone,
    );
    const gw = gateway();
    expect(await gw.info('alive+=')).toEqual({
      connectedAt: '2026-11-23T10:00:00.000Z',
      lastActiveAt: '2026-11-23T10:05:30.250Z',
      sourceIp: '1.2.3.4',
    });
    expect(await gw.info('dead')).toBeNull();
    gw.destroy();
    expect(seen().map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /prod/@connections/alive%2B%3D',
      'GET /prod/@connections/dead',
    ]);
    for (const req of seen()) await expectSignedBy(req, scope);
    expect(seen()[0]?.headers['x-amz-security-token']).toBe('token/+=');
  });

  it('reads what the answer has: no lastActiveAt, no identity', async () => {
    answer(() => ({ status: 200, body: '{"connectedAt":"2026-11-23T10:00:00Z"}' }));
    const gw = gateway();
    expect(await gw.info('c1')).toEqual({
      connectedAt: '2026-11-23T10:00:00.000Z',
      lastActiveAt: undefined,
      sourceIp: undefined,
    });
    gw.destroy();
  });

  it('closes a connection with a signed DELETE (204), resolving false when it was gone already', async () => {
    answer((req) => (req.url.endsWith('/alive') ? { status: 204 } : gone));
    const gw = gateway();
    expect(await gw.close('alive')).toBe(true);
    expect(await gw.close('dead')).toBe(false);
    gw.destroy();
    expect(seen().map((r) => `${r.method} ${r.url}`)).toEqual([
      'DELETE /prod/@connections/alive',
      'DELETE /prod/@connections/dead',
    ]);
    for (const req of seen()) await expectSignedBy(req, scope);
  });

  it.each([
    [403, 'ForbiddenException', { 'x-amzn-errortype': 'ForbiddenException' }],
    [403, 'ForbiddenException', {}],
    [413, 'PayloadTooLargeException', {}],
    [400, 'BadRequestException', { 'x-amzn-errortype': 'BadRequestException:http://internal' }],
  ])('throws HTTP %i as the SDK error %s, with $metadata, and tries once', async (status, name, headers) => {
    answer(() => ({
      status,
      headers: { 'x-amzn-RequestId': 'req-1', ...headers },
      body: '{"message":"nope"}',
    }));
    const gw = gateway();
    for (const call of [() => gw.info('c1'), () => gw.close('c1')]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AwsServiceError);
      expect(error).toMatchObject({
        name,
        message: 'nope',
        $fault: 'client',
        $metadata: { httpStatusCode: status, requestId: 'req-1' },
      });
      expect(isGoneError(error)).toBe(false);
      expect(isRetryable(error)).toBe(false);
    }
    gw.destroy();
    expect(seen()).toHaveLength(2);
  });

  it('tries again after a 429, as the SDK’s standard mode does', async () => {
    let calls = 0;
    answer(() =>
      ++calls === 1
        ? { status: 429, headers: { 'x-amzn-errortype': 'LimitExceededException' }, body: '{}' }
        : { status: 204 },
    );
    const gw = gateway();
    expect(await gw.close('c1')).toBe(true);
    gw.destroy();
    expect(seen().map((r) => r.method)).toEqual(['DELETE', 'DELETE']);
    for (const req of seen()) await expectSignedBy(req, scope);
  });

  it('gives up after 3 attempts of a 5xx, with the last answer’s error', async () => {
    answer(() => ({ status: 503, body: '{"message":"busy"}' }));
    const gw = gateway();
    const error = await gw.info('c1').catch((e: unknown) => e);
    gw.destroy();
    expect(error).toMatchObject({
      name: 'InternalServerError',
      message: 'busy',
      $fault: 'server',
      $metadata: { httpStatusCode: 503, attempts: 3 },
    });
    expect(isRetryable(error)).toBe(true);
    expect(seen()).toHaveLength(3);
  });
});

describe('how an AWS error is read', () => {
  it.each([
    ['GoneException by name', new AwsServiceError('GoneException', 'x', 'client', {}), true],
    [
      'any error with $metadata.httpStatusCode 410',
      { name: 'Whatever', $metadata: { httpStatusCode: 410 } },
      true,
    ],
    ['a v2-style statusCode 410 (not how v3 reports it)', { name: 'Error', statusCode: 410 }, false],
    ['a 403', { name: 'ForbiddenException', $metadata: { httpStatusCode: 403 } }, false],
  ])('%s → gone: %s', (_, error, gone) => {
    expect(isGoneError(error)).toBe(gone);
  });

  it.each([
    ['LimitExceededException', { name: 'LimitExceededException', $metadata: { httpStatusCode: 429 } }, true],
    ['a 503', { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } }, true],
    ['a reset socket', new Error('read ECONNRESET'), true],
    ['a 403', { name: 'ForbiddenException', $metadata: { httpStatusCode: 403 } }, false],
    ['a 413', { name: 'PayloadTooLargeException', $metadata: { httpStatusCode: 413 } }, false],
  ])('%s → retryable: %s', (_, error, retry) => {
    expect(isRetryable(error)).toBe(retry);
  });
});
