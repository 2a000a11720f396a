import type { AfterConnectJob, AfterConnectStarter } from '../core/after-connect';
import { principalToContext } from '../core/auth/principal';
import type { Log } from '../core/ports';
import type { LiveStatsTrigger } from '../features/live-stats/store';
import type { CredentialsProvider } from './aws/credentials';
import { AwsHttpClient, errorFromResponse } from './aws/http';
import type { StaticCredentials } from './management-api/client';

export interface LambdaInvokeOptions {
  /** The function's name or ARN (from the variable its asyncInvocations entry names); without one, starting is a no-op. */
  functionName: string | undefined;
  region: string;
  /** The Invoke API's endpoint (the local stack's); AWS's regional one when absent. */
  endpoint?: string | undefined;
  /** The local stack's credentials, or a provider; the environment's (the function's role) when absent. */
  credentials?: StaticCredentials | CredentialsProvider | undefined;
  log: Log;
}

/**
 * Starts a Lambda with an asynchronous Invoke (`X-Amz-Invocation-Type: Event`): Lambda answers 202 at once
 * and runs it in the background. The functions a Lambda starts are the route table's `asyncInvocations`.
 * One signed request (../aws/http.ts: the SDK's standard retries), not the SDK's Lambda client.
 */
class AsyncInvoke {
  #client: AwsHttpClient | undefined;

  constructor(private readonly options: LambdaInvokeOptions) {}

  /** False when no function is configured (after a warning); a failed Invoke rejects (AwsServiceError). */
  async send(payload: unknown, signal?: AbortSignal): Promise<boolean> {
    const { functionName, region, endpoint, credentials } = this.options;
    if (!functionName) return false;
    signal?.throwIfAborted();
    this.#client ??= new AwsHttpClient({
      endpoint: endpoint ?? `https://lambda.${region}.amazonaws.com`,
      region,
      service: 'lambda',
      ...(credentials ? { credentials } : {}),
    });
    const answer = await this.#client.request({
      method: 'POST',
      path: `/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`,
      headers: { 'content-type': 'application/octet-stream', 'x-amz-invocation-type': 'Event' },
      body: JSON.stringify(payload),
      signal,
    });
    if (answer.status < 200 || answer.status >= 300) throw errorFromResponse(answer);
    return true;
  }
}

/** The event a started run gets; the handler reads the config, not the event. */
export const LIVE_PUSH_START_EVENT = { source: 'switchboard.live-push', 'detail-type': 'Live push started' };

/** Starts the live-stats Lambda at once, so POST /v1/live-push does not wait for the run's minute. */
export class LambdaLiveStatsTrigger implements LiveStatsTrigger {
  readonly #invoke: AsyncInvoke;

  constructor(private readonly options: LambdaInvokeOptions) {
    this.#invoke = new AsyncInvoke(options);
  }

  async start(): Promise<void> {
    if (!(await this.#invoke.send(LIVE_PUSH_START_EVENT))) {
      this.options.log.warn(
        'LIVE_STATS_FUNCTION_NAME is not set: the live push starts at the next schedule tick',
      );
    }
  }
}

/**
 * The after-connect Lambda's event (lambdas/after-connect.ts): a job of core/after-connect.ts, the
 * principal in the one flat encoding API Gateway also uses for it, and the stage's Management API.
 */
export interface AfterConnectEvent {
  connectionId: string;
  principal: Record<string, string>;
  channels: string[];
  /** AfterConnectJob.counts: the channels' counts `$connect` knew exactly, when there are any. */
  counts?: Record<string, number>;
  endpoint: string;
}

export const afterConnectEvent = (job: AfterConnectJob & { endpoint: string }): AfterConnectEvent => ({
  connectionId: job.connectionId,
  principal: principalToContext(job.principal),
  channels: job.channels,
  ...(job.counts ? { counts: job.counts } : {}),
  endpoint: job.endpoint,
});

/** Hands `$connect`'s remaining work to the after-connect Lambda (AFTER_CONNECT_FUNCTION_NAME). */
export class LambdaAfterConnectStarter implements AfterConnectStarter {
  readonly #invoke: AsyncInvoke;

  constructor(private readonly options: LambdaInvokeOptions) {
    this.#invoke = new AsyncInvoke(options);
  }

  async start(job: AfterConnectJob & { endpoint: string }, signal?: AbortSignal): Promise<void> {
    if (!(await this.#invoke.send(afterConnectEvent(job), signal))) {
      this.options.log.warn('AFTER_CONNECT_FUNCTION_NAME is not set: joins at connect are not announced', {
        connectionId: job.connectionId,
      });
    }
  }
}
