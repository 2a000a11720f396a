import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  isGoneError,
  isRetryable,
  ManagementApiClient,
} from '../../../shared/adapters/management-api/client';
import { ManagementApiGateway } from '../../../shared/adapters/management-api/gateway';
import { GatewayError } from '../../../shared/core/ports';
import { type ManagementApiStub, startManagementApiStub } from '../../support/management-api-stub';

/**
 * The lean post path against an in-process stub of the Management API: the request it sends, and the SDK
 * error shapes it turns answers into; then the Gateway port, which turns those into the protocol's terms.
 * (The local stack's emulator runs the same path for real.)
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

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
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

describe('GET and DELETE through the SDK client', () => {
  const mgmt = mockClient(ApiGatewayManagementApiClient);
  afterEach(() => mgmt.reset());
  const gone = () => new GoneException({ message: 'gone', $metadata: { httpStatusCode: 410 } });

  it('reads a connection, and null when it is gone', async () => {
    mgmt
      .on(GetConnectionCommand, { ConnectionId: 'alive' })
      .resolves({
        ConnectedAt: new Date('2026-11-23T10:00:00Z'),
        Identity: { SourceIp: '1.2.3.4', UserAgent: 'ua' },
      })
      .on(GetConnectionCommand, { ConnectionId: 'dead' })
      .rejects(gone());
    const gw = gateway();
    expect(await gw.info('alive')).toEqual({
      connectedAt: '2026-11-23T10:00:00.000Z',
      lastActiveAt: undefined,
      sourceIp: '1.2.3.4',
    });
    expect(await gw.info('dead')).toBeNull();
  });

  it('closes a connection, resolving false when it was gone already', async () => {
    // General behaviour first: aws-sdk-client-mock lets a later, more specific matcher take precedence.
    mgmt
      .on(DeleteConnectionCommand)
      .rejects(gone())
      .on(DeleteConnectionCommand, { ConnectionId: 'alive' })
      .resolves({});
    const gw = gateway();
    expect(await gw.close('alive')).toBe(true);
    expect(await gw.close('dead')).toBe(false);
  });
});

describe('how an SDK v3 error is read', () => {
  it.each([
    ['GoneException by name', new GoneException({ message: 'x', $metadata: {} }), true],
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
