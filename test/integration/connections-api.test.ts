import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, describe, expect, it } from 'vitest';
import {
  isGoneError,
  ManagementApiClient as ManagementApiGateway,
} from '../../shared/adapters/management-api/client';
import { TestClient } from './support/client';
import { recorder, shared, startTestStack, wsContext } from './support/stack';

const { wsUrl, callbackUrl, credentials } = shared();
const sdk = new ApiGatewayManagementApiClient({ endpoint: callbackUrl, region: 'us-east-1', credentials });
afterAll(() => sdk.destroy());

const encoder = new TextEncoder();
const post = (client: ApiGatewayManagementApiClient, id: string, text: string) =>
  client.send(new PostToConnectionCommand({ ConnectionId: id, Data: encoder.encode(text) }));

async function goneError(p: Promise<unknown>): Promise<GoneException> {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GoneException);
  expect((error as GoneException).$metadata.httpStatusCode).toBe(410);
  return error as GoneException;
}

describe('the Management API with the real SDK', () => {
  it('posts, reads and deletes a connection whose id needs URL encoding', async () => {
    const client = await TestClient.connect(wsUrl);
    const id = String((await client.hello()).connection_id);
    expect(id).toMatch(/^[A-Za-z0-9+/]{15}=$/);

    await post(sdk, id, '{"type":"from-the-sdk"}');
    expect(await client.nextOfType('from-the-sdk')).toEqual({ type: 'from-the-sdk' });

    const info = await sdk.send(new GetConnectionCommand({ ConnectionId: id }));
    expect(info.ConnectedAt).toBeInstanceOf(Date);
    expect(info.LastActiveAt).toBeInstanceOf(Date);
    expect(info.Identity?.SourceIp).toBe('127.0.0.1');
    expect(info.Identity?.UserAgent).toBeUndefined(); // the ws client sends no User-Agent

    await sdk.send(new DeleteConnectionCommand({ ConnectionId: id }));
    expect((await client.closed).code).toBe(1000);
    await goneError(post(sdk, id, '{}'));
    await goneError(sdk.send(new GetConnectionCommand({ ConnectionId: id })));
  });

  it('answers 410 GoneException for an unknown connection', async () => {
    await goneError(post(sdk, 'AAAAAAAAAAAAAAA=', '{}'));
    await goneError(sdk.send(new DeleteConnectionCommand({ ConnectionId: 'a/b+c=' })));
  });

  it('answers 413 PayloadTooLargeException past 128 KB', async () => {
    const client = await TestClient.connect(wsUrl);
    const id = String((await client.hello()).connection_id);
    const error = await post(sdk, id, 'x'.repeat(128 * 1024 + 1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadTooLargeException);
    await post(sdk, id, JSON.stringify({ type: 'big', pad: 'x'.repeat(100 * 1024) }));
    expect(await client.nextOfType('big')).toMatchObject({ type: 'big' });
    await client.close();
  });

  it('refuses an unsigned request with 403 Missing Authentication Token', async () => {
    const res = await fetch(`${callbackUrl}/@connections/AAAAAAAAAAAAAAA%3D`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ message: 'Missing Authentication Token' });
  });

  it('works through the lean signed post of shared/adapters/gateway.ts too', async () => {
    const gateway = new ManagementApiGateway({ endpoint: callbackUrl, region: 'us-east-1', credentials });
    try {
      const client = await TestClient.connect(wsUrl);
      const id = String((await client.hello()).connection_id);
      await gateway.post(id, encoder.encode('{"type":"lean"}'));
      expect(await client.nextOfType('lean')).toEqual({ type: 'lean' });
      expect(await gateway.info(id)).toMatchObject({ sourceIp: '127.0.0.1' });
      await client.close();
      const error = await gateway.post(id, encoder.encode('{}')).catch((e: unknown) => e);
      expect(isGoneError(error)).toBe(true);
      expect(error).toBeInstanceOf(GoneException);
    } finally {
      gateway.destroy();
    }
  });
});

describe('signatures, checked as API Gateway checks them', () => {
  const failure = async (p: Promise<unknown>) => {
    const e = (await p.then(
      () => null,
      (error: unknown) => error,
    )) as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } } | null;
    return { name: e?.name, status: e?.$metadata?.httpStatusCode, message: e?.message };
  };

  it('a made-up Authorization header injects nothing and closes nothing (403)', async () => {
    const client = await TestClient.connect(wsUrl);
    const id = String((await client.hello()).connection_id);
    const url = `${callbackUrl}/@connections/${encodeURIComponent(id)}`;
    const headers = { authorization: 'AWS4-HMAC-SHA256 x' };
    const injected = await fetch(url, { method: 'POST', headers, body: '{"type":"injected"}' });
    expect(injected.status).toBe(403);
    expect(injected.headers.get('x-amzn-errortype')).toBe('IncompleteSignatureException');
    expect(((await injected.json()) as { message: string }).message).toMatch(
      /^Authorization header requires 'Credential' parameter\./,
    );
    expect((await fetch(url, { method: 'DELETE', headers })).status).toBe(403);
    expect((await client.sync()).filter((f) => f.type === 'injected')).toEqual([]);
    await post(sdk, id, '{"type":"signed"}');
    expect(await client.nextOfType('signed')).toEqual({ type: 'signed' });
    await client.close();
  });

  it('the SDK with a wrong secret gets 403 InvalidSignatureException, with an unknown key 403 UnrecognizedClientException', async () => {
    const client = await TestClient.connect(wsUrl);
    const id = String((await client.hello()).connection_id);
    const as = (creds: { accessKeyId: string; secretAccessKey: string }) =>
      new ApiGatewayManagementApiClient({ endpoint: callbackUrl, region: 'us-east-1', credentials: creds });
    const wrongSecret = as({ ...credentials, secretAccessKey: 'local' });
    const unknownKey = as({ accessKeyId: 'local', secretAccessKey: 'local' });
    try {
      expect(await failure(post(wrongSecret, id, '{"type":"x"}'))).toMatchObject({
        name: 'InvalidSignatureException',
        status: 403,
        message: expect.stringMatching(/^The request signature we calculated does not match/),
      });
      expect(
        await failure(wrongSecret.send(new DeleteConnectionCommand({ ConnectionId: id }))),
      ).toMatchObject({
        name: 'InvalidSignatureException',
        status: 403,
      });
      expect(await failure(unknownKey.send(new GetConnectionCommand({ ConnectionId: id })))).toEqual({
        name: 'UnrecognizedClientException',
        status: 403,
        message: 'The security token included in the request is invalid.',
      });
      expect((await client.sync()).filter((f) => f.type === 'x')).toEqual([]);
    } finally {
      wrongSecret.destroy();
      unknownKey.destroy();
      await client.close();
    }
  });

  it('a request signed more than 5 minutes ago answers 403 "Signature expired"; a fresh one passes', async () => {
    const client = await TestClient.connect(wsUrl);
    const id = String((await client.hello()).connection_id);
    const url = new URL(`${callbackUrl}/@connections/${encodeURIComponent(id)}`);
    const signer = new SignatureV4({
      service: 'execute-api',
      region: 'us-east-1',
      credentials,
      sha256: Hash.bind(null, 'sha256'),
    });
    const signedPost = async (at: Date, text: string) => {
      const body = encoder.encode(text);
      const { headers } = await signer.sign(
        new HttpRequest({
          method: 'POST',
          protocol: 'http:',
          hostname: url.hostname,
          port: Number(url.port),
          path: url.pathname,
          headers: { host: url.host, 'content-type': 'application/octet-stream' },
          body,
        }),
        { signingDate: at },
      );
      return fetch(url, { method: 'POST', headers, body });
    };
    const stale = await signedPost(new Date(Date.now() - 6 * 60_000), '{"type":"stale"}');
    expect(stale.status).toBe(403);
    expect(stale.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
    expect(((await stale.json()) as { message: string }).message).toMatch(
      /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/,
    );
    expect((await signedPost(new Date(), '{"type":"fresh"}')).status).toBe(200);
    expect(await client.nextOfType('fresh')).toEqual({ type: 'fresh' });
    expect(client.frames.filter((f) => f.type === 'stale')).toEqual([]);
    await client.close();
  });
});

describe('a connection still inside $connect', () => {
  it('is gone (410) for the Management API until $connect has returned', async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let announce: (id: string) => void = () => {};
    const connecting = new Promise<string>((resolve) => {
      announce = resolve;
    });
    const calls = recorder();
    const stack = await startTestStack({
      observe: {
        async before(lambda, event) {
          if (lambda !== 'ws-connect') return;
          announce(wsContext(event).connectionId);
          await held;
        },
        after: calls.observe.after,
      },
    });
    const local = new ApiGatewayManagementApiClient({
      endpoint: stack.callbackUrl,
      region: 'us-east-1',
      credentials: stack.credentials,
    });
    try {
      const opening = TestClient.connect(stack.wsUrl);
      const id = await connecting;
      await goneError(post(local, id, '{"type":"too-early"}'));
      release();
      const client = await opening;
      await post(local, id, '{"type":"in-time"}');
      expect(await client.nextOfType('in-time')).toEqual({ type: 'in-time' });
      expect(client.frames.filter((f) => f.type === 'too-early')).toEqual([]);
      await client.close();
    } finally {
      local.destroy();
      await stack.stop();
    }
  });
});
