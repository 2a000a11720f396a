import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AwsServiceError } from '../../../shared/adapters/aws/http';
import {
  afterConnectEvent,
  LambdaAfterConnectStarter,
  LambdaLiveStatsTrigger,
  LIVE_PUSH_START_EVENT,
} from '../../../shared/adapters/lambda';
import { MemoryLog } from '../../support/fakes';
import { type ManagementApiStub, startManagementApiStub } from '../../support/management-api-stub';
import { expectSignedBy } from '../../support/sigv4-check';
import { user } from '../../support/world';

/**
 * The asynchronous Invoke against a loopback server standing in for Lambda's API: the signed request it
 * sends, Lambda's 202, its error answers, and the SDK's retries.
 */
let lambda: ManagementApiStub;
let endpoint: string;
beforeAll(async () => {
  lambda = await startManagementApiStub();
  endpoint = new URL(lambda.endpoint).origin;
});
afterAll(() => lambda.close());
afterEach(() => {
  lambda.requests.length = 0;
  lambda.answer = accepted;
});
const accepted = () => ({ status: 202, headers: { 'x-amzn-RequestId': 'r1' } });

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const options = (functionName: string | undefined, log = new MemoryLog()) => ({
  functionName,
  region: 'eu-west-1',
  endpoint,
  credentials,
  log,
});

describe('LambdaLiveStatsTrigger', () => {
  it('starts the live-stats function with a signed asynchronous Invoke', async () => {
    await new LambdaLiveStatsTrigger(options('Switchboard-LiveStats')).start();
    expect(lambda.requests).toHaveLength(1);
    const [req] = lambda.requests;
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/2015-03-31/functions/Switchboard-LiveStats/invocations');
    expect(req?.headers['x-amz-invocation-type']).toBe('Event');
    expect(JSON.parse(req?.body ?? '')).toEqual(LIVE_PUSH_START_EVENT);
    await expectSignedBy(req!, { region: 'eu-west-1', service: 'lambda', credentials });
  });

  it('URI-encodes an ARN as the function name', async () => {
    const arn = 'arn:aws:lambda:eu-west-1:123456789012:function:live-stats';
    await new LambdaLiveStatsTrigger(options(arn)).start();
    expect(lambda.requests[0]?.url).toBe(
      '/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Alive-stats/invocations',
    );
    await expectSignedBy(lambda.requests[0]!, { region: 'eu-west-1', service: 'lambda', credentials });
  });

  it('does nothing but warn when no function is configured', async () => {
    const log = new MemoryLog();
    await new LambdaLiveStatsTrigger(options(undefined, log)).start();
    expect(lambda.requests).toHaveLength(0);
    expect(log.lines).toEqual([expect.objectContaining({ level: 'warn' })]);
  });

  it('lets a failed Invoke reach the caller, named by x-amzn-errortype', async () => {
    lambda.answer = () => ({
      status: 403,
      headers: { 'x-amzn-errortype': 'AccessDeniedException', 'content-type': 'application/json' },
      body: '{"Type":"User","message":"not allowed"}',
    });
    const error = await new LambdaLiveStatsTrigger(options('f')).start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsServiceError);
    expect(error).toMatchObject({
      name: 'AccessDeniedException',
      message: 'not allowed',
      $metadata: { httpStatusCode: 403 },
    });
    expect(lambda.requests).toHaveLength(1);
  });

  it('tries again after Lambda throttles (429), as the SDK does', async () => {
    let calls = 0;
    lambda.answer = () =>
      ++calls === 1
        ? { status: 429, headers: { 'x-amzn-errortype': 'TooManyRequestsException' }, body: '{}' }
        : accepted();
    await new LambdaLiveStatsTrigger(options('f')).start();
    expect(lambda.requests).toHaveLength(2);
    expect(lambda.requests[1]?.body).toBe(lambda.requests[0]?.body);
  });
});

describe('LambdaAfterConnectStarter', () => {
  const job = {
    connectionId: 'L0SM9cOFvHcCIhw=',
    principal: user('alice'),
    channels: ['room:lobby'],
    endpoint: 'https://abc.execute-api.eu-west-1.amazonaws.com/prod',
  };

  it('hands the job over as the after-connect event', async () => {
    await new LambdaAfterConnectStarter(options('after-connect')).start(job);
    const [req] = lambda.requests;
    expect(req?.url).toBe('/2015-03-31/functions/after-connect/invocations');
    expect(req?.headers['x-amz-invocation-type']).toBe('Event');
    expect(JSON.parse(req?.body ?? '')).toEqual(afterConnectEvent(job));
  });

  it('sends nothing when its signal has aborted already', async () => {
    const error = await new LambdaAfterConnectStarter(options('after-connect'))
      .start(job, AbortSignal.abort(new Error('no time left')))
      .catch((e: unknown) => e);
    expect(error).toEqual(new Error('no time left'));
    expect(lambda.requests).toHaveLength(0);
  });

  it('stops waiting for a slow Lambda when its signal aborts', async () => {
    lambda.answer = () => new Promise((resolve) => setTimeout(() => resolve(accepted()), 1_000));
    const started = performance.now();
    const error = await new LambdaAfterConnectStarter(options('after-connect'))
      .start(job, AbortSignal.timeout(50))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(performance.now() - started).toBeLessThan(900);
    expect(lambda.requests).toHaveLength(1);
  });
});
