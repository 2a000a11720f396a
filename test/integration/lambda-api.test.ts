import { InvokeCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/index';
import { recorder, startTestStack } from './support/stack';

/** Lambda's Invoke API on the local stack (local/lambda-api.ts), driven by the real SDK client. */
let stack: LocalStack;
let lambda: LambdaClient;
const calls = recorder();
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

beforeAll(async () => {
  stack = await startTestStack({ observe: calls.observe, schedules: [] });
  lambda = new LambdaClient({
    endpoint: String(stack.env.LAMBDA_ENDPOINT),
    region: 'us-east-1',
    credentials: stack.credentials,
  });
});
afterAll(async () => {
  lambda?.destroy();
  await stack?.stop();
});

describe('the local Lambda Invoke API with the real SDK', () => {
  it('names the functions in the variables the handlers read, and the endpoint', () => {
    expect(stack.env.LIVE_STATS_FUNCTION_NAME).toBe('live-stats');
    expect(stack.env.LAMBDA_ENDPOINT).toBe(`http://127.0.0.1:${stack.port}`);
  });

  it('answers an asynchronous invocation 202 at once and runs the handler in the background with the payload', async () => {
    const marker = { probe: crypto.randomUUID() };
    const out = await lambda.send(
      new InvokeCommand({ FunctionName: 'live-stats', InvocationType: 'Event', Payload: encode(marker) }),
    );
    expect(out.StatusCode).toBe(202);
    const run = await calls.waitFor((i) => JSON.stringify(i.event) === JSON.stringify(marker));
    expect(run.lambda).toBe('live-stats');
    expect(run.result).toEqual({ pushed: 0, ended: 'disabled' });
  });

  it('answers a synchronous invocation with what the handler returned, by name or by ARN', async () => {
    const event = { version: '2.0', routeKey: 'GET /v1/health', rawPath: '/v1/health', requestContext: {} };
    for (const FunctionName of [
      'http-health',
      'arn:aws:lambda:us-east-1:123456789012:function:http-health',
    ]) {
      const out = await lambda.send(new InvokeCommand({ FunctionName, Payload: encode(event) }));
      expect(out.StatusCode).toBe(200);
      expect(out.ExecutedVersion).toBe('$LATEST');
      expect(out.FunctionError).toBeUndefined();
      const result = JSON.parse(new TextDecoder().decode(out.Payload)) as {
        statusCode: number;
        body: string;
      };
      expect(result.statusCode).toBe(200);
      expect(JSON.parse(result.body)).toEqual({ status: 'ok' });
    }
  });

  it('reports a handler that throws as FunctionError Unhandled', async () => {
    // ws-message without a requestContext fails before it can answer.
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'ws-message', Payload: encode({}) }));
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBe('Unhandled');
    expect(JSON.parse(new TextDecoder().decode(out.Payload))).toMatchObject({
      errorType: expect.any(String),
      errorMessage: expect.any(String),
    });
  });

  it('answers DryRun 204 without running anything', async () => {
    const before = calls.started.length;
    const out = await lambda.send(
      new InvokeCommand({ FunctionName: 'live-stats', InvocationType: 'DryRun' }),
    );
    expect(out.StatusCode).toBe(204);
    expect(calls.started.length).toBe(before);
  });

  it('throws ResourceNotFoundException for a function the stack does not have', async () => {
    const error = await lambda
      .send(new InvokeCommand({ FunctionName: 'no-such-function', InvocationType: 'Event' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect((error as ResourceNotFoundException).$metadata.httpStatusCode).toBe(404);
  });

  it('refuses a request that is not signed', async () => {
    const res = await fetch(`${stack.httpUrl}/2015-03-31/functions/live-stats/invocations`, {
      method: 'POST',
      body: '{}',
    });
    expect(res.status).toBe(403);
  });

  it('refuses another secret with 403 InvalidSignatureException, before saying whether the function exists', async () => {
    const stranger = new LambdaClient({
      endpoint: String(stack.env.LAMBDA_ENDPOINT),
      region: 'us-east-1',
      credentials: { ...stack.credentials, secretAccessKey: 'local' },
    });
    try {
      for (const FunctionName of ['live-stats', 'no-such-function']) {
        const error = (await stranger
          .send(new InvokeCommand({ FunctionName, InvocationType: 'Event', Payload: encode({}) }))
          .catch((e: unknown) => e)) as { name: string; $metadata: { httpStatusCode: number } };
        expect({ name: error.name, status: error.$metadata.httpStatusCode }).toEqual({
          name: 'InvalidSignatureException',
          status: 403,
        });
      }
      expect(
        calls.started.filter((i) => i.lambda === 'live-stats' && JSON.stringify(i.event) === '{}'),
      ).toEqual([]);
    } finally {
      stranger.destroy();
    }
  });
});
