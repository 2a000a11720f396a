import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsHttpClient, AwsServiceError } from '../../../shared/adapters/aws/http';
import { AwsJsonClient } from '../../../shared/adapters/aws/json-protocol';

type Answer = { status: number; body?: string; headers?: Record<string, string> } | 'reset';

/** A loopback server that answers each request with the next of `answers`, and records what it got. */
async function stub(answers: Answer[]) {
  const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      const answer = answers.shift() ?? { status: 500 };
      if (answer === 'reset') {
        req.socket.destroy();
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0', ...answer.headers });
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { seen, server, endpoint: `http://127.0.0.1:${port}` };
}

const servers: http.Server[] = [];
const clients: AwsJsonClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
  for (const s of servers.splice(0)) s.close();
});

async function clientFor(answers: Answer[]) {
  const s = await stub(answers);
  servers.push(s.server);
  const client = new AwsJsonClient({
    endpoint: s.endpoint,
    region: 'eu-west-1',
    service: 'dynamodb',
    targetPrefix: 'DynamoDB_20120810',
    credentials: { accessKeyId: 'AKID', secretAccessKey: 'SECRET', sessionToken: 'TOKEN' },
  });
  clients.push(client);
  return { client, seen: s.seen };
}

const dynamoError = (type: string, message: string) =>
  JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message });

describe('AwsJsonClient', () => {
  it('posts the input as JSON 1.0 with its target, signed, and answers the parsed output', async () => {
    const { client, seen } = await clientFor([{ status: 200, body: '{"Item":{"pk":{"S":"a"}}}' }]);
    const out = await client.call<{ Item: unknown }>('GetItem', { TableName: 't', Key: { pk: { S: 'a' } } });
    expect(out).toEqual({ Item: { pk: { S: 'a' } } });
    expect(seen).toHaveLength(1);
    const [req] = seen;
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/');
    expect(req?.headers['x-amz-target']).toBe('DynamoDB_20120810.GetItem');
    expect(req?.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(req?.headers['x-amz-security-token']).toBe('TOKEN');
    expect(req?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKID\/\d{8}\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-amz-target, Signature=[0-9a-f]{64}$/,
    );
    expect(JSON.parse(req?.body ?? '')).toEqual({ TableName: 't', Key: { pk: { S: 'a' } } });
  });

  it("sends a Lambda invocation's X-Ray trace header, unsigned, and none outside a Lambda", async () => {
    const saved = { ...process.env };
    try {
      process.env._X_AMZN_TRACE_ID =
        'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
      const outside = await clientFor([{ status: 200, body: '{}' }]);
      await outside.client.call('GetItem', {});
      expect(outside.seen[0]?.headers['x-amzn-trace-id']).toBeUndefined();
      process.env.AWS_LAMBDA_FUNCTION_NAME = 'ws-message';
      const inside = await clientFor([{ status: 200, body: '{}' }]);
      await inside.client.call('GetItem', {});
      const headers = inside.seen[0]?.headers ?? {};
      expect(headers['x-amzn-trace-id']).toBe(process.env._X_AMZN_TRACE_ID);
      expect(headers.authorization).not.toContain('x-amzn-trace-id');
    } finally {
      process.env = saved;
    }
  });

  it('throws a client error by its type at once, without retrying', async () => {
    const { client, seen } = await clientFor([
      { status: 400, body: dynamoError('ConditionalCheckFailedException', 'The conditional request failed') },
    ]);
    const error = await client.call('PutItem', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsServiceError);
    expect(error).toMatchObject({
      name: 'ConditionalCheckFailedException',
      message: 'The conditional request failed',
      $fault: 'client',
      $metadata: { httpStatusCode: 400, attempts: 1 },
    });
    expect(seen).toHaveLength(1);
  });

  it('retries a 5xx, a throttling error and a reset socket, then answers', async () => {
    const { client, seen } = await clientFor([
      { status: 503, body: '' },
      'reset',
      { status: 200, body: '{}' },
    ]);
    await expect(client.call('PutItem', {})).resolves.toEqual({});
    expect(seen).toHaveLength(3);
    const throttled = await clientFor([
      { status: 400, body: dynamoError('ProvisionedThroughputExceededException', 'slow down') },
      { status: 200, body: '{"Count":0}' },
    ]);
    await expect(throttled.client.call('Query', {})).resolves.toEqual({ Count: 0 });
    expect(throttled.seen).toHaveLength(2);
  });

  it('gives up after 3 attempts with the last error, its status and attempts', async () => {
    const { client, seen } = await clientFor([
      { status: 500, body: dynamoError('InternalServerError', 'one') },
      { status: 500, body: dynamoError('InternalServerError', 'two') },
      { status: 500, body: dynamoError('InternalServerError', 'three') },
      { status: 200, body: '{}' },
    ]);
    await expect(client.call('PutItem', {})).rejects.toMatchObject({
      name: 'InternalServerError',
      message: 'three',
      $fault: 'server',
      $metadata: { httpStatusCode: 500, attempts: 3 },
    });
    expect(seen).toHaveLength(3);
  });

  it('takes the type from x-amzn-errortype when the service sends it', async () => {
    const { client } = await clientFor([
      {
        status: 410,
        headers: { 'x-amzn-errortype': 'GoneException:http://internal.amazon.com/' },
        body: '{"message":"gone"}',
      },
    ]);
    await expect(client.call('X', {})).rejects.toMatchObject({
      name: 'GoneException',
      $metadata: { httpStatusCode: 410 },
    });
  });
});

/** A client of the Lambda API at `endpoint`, with static keys. */
const lambdaClient = (endpoint: string) =>
  new AwsHttpClient({
    endpoint,
    region: 'us-east-1',
    service: 'lambda',
    credentials: { accessKeyId: 'AKID', secretAccessKey: 'SECRET' },
  });

describe('AwsHttpClient with a signal', () => {
  it('cancels the request itself when its signal aborts, with the signal’s reason', async () => {
    let closed = false;
    const server = http.createServer((req) => {
      // Never answers: only the abort can end this request.
      req.socket.on('close', () => {
        closed = true;
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = lambdaClient(`http://127.0.0.1:${port}`);
    try {
      const started = performance.now();
      const error = await client
        .request({ method: 'POST', path: '/x', body: '{}', signal: AbortSignal.timeout(100) })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'TimeoutError' });
      expect(performance.now() - started).toBeLessThan(2_000);
      await new Promise((r) => setTimeout(r, 100));
      expect(closed).toBe(true);
    } finally {
      client.destroy();
    }
  });

  it('sends nothing for an aborted signal, and stops waiting to retry when it aborts', async () => {
    const s = await stub([{ status: 503 }, { status: 503 }, { status: 200, body: '{}' }]);
    servers.push(s.server);
    const client = lambdaClient(s.endpoint);
    try {
      await expect(
        client.request({ method: 'GET', path: '/', signal: AbortSignal.abort(new Error('no time left')) }),
      ).rejects.toThrow('no time left');
      expect(s.seen).toHaveLength(0);
      // The first 503 is answered at once; the signal aborts around the wait before the next attempt.
      // Without the abort the retries would end in the 200: rejecting with its reason is the proof.
      const controller = new AbortController();
      const pending = client.request({ method: 'GET', path: '/', signal: controller.signal });
      while (s.seen.length === 0) await new Promise((r) => setTimeout(r, 1));
      controller.abort(new Error('given up'));
      await expect(pending).rejects.toThrow('given up');
      await new Promise((r) => setTimeout(r, 500));
      expect(s.seen.length).toBeLessThan(3);
    } finally {
      client.destroy();
    }
  });
});
