import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { AfterConnectJob, AfterConnectStarter } from '../core/after-connect';
import { principalToContext } from '../core/auth/principal';
import type { Log } from '../core/ports';
import type { LiveStatsTrigger } from '../features/live-stats/store';
import type { CredentialsProvider } from './aws/credentials';
import type { StaticCredentials } from './management-api/client';

export interface LambdaInvokeOptions {
  /** The function's name or ARN (from the variable its asyncInvocations entry names); without one, starting is a no-op. */
  functionName: string | undefined;
  region: string;
  /** The Invoke API's endpoint (the local stack's); AWS's regional one when absent. */
  endpoint?: string | undefined;
  credentials?: StaticCredentials | CredentialsProvider | undefined;
  log: Log;
  /** An SDK client to use (tests inject one); built on first use when absent. */
  client?: LambdaClient;
}

/**
 * Starts a Lambda with an asynchronous Invoke (InvocationType `Event`): Lambda answers 202 at once and
 * runs it in the background. The functions a Lambda starts are the route table's `asyncInvocations`.
 */
class AsyncInvoke {
  #client: LambdaClient | undefined;

  constructor(private readonly options: LambdaInvokeOptions) {
    this.#client = options.client;
  }

  /** False when no function is configured (after a warning); a failed Invoke rejects. */
  async send(payload: unknown, signal?: AbortSignal): Promise<boolean> {
    const { functionName } = this.options;
    if (!functionName) return false;
    this.#client ??= new LambdaClient({
      region: this.options.region,
      ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
      ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
    });
    await this.#client.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(payload)),
      }),
      signal ? { abortSignal: signal } : {},
    );
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
  endpoint: string;
}

export const afterConnectEvent = (job: AfterConnectJob & { endpoint: string }): AfterConnectEvent => ({
  connectionId: job.connectionId,
  principal: principalToContext(job.principal),
  channels: job.channels,
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
