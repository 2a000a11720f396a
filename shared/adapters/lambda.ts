import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { Log } from '../core/ports';
import type { LiveStatsTrigger } from '../features/live-stats/store';
import type { StaticCredentials } from './management-api/client';

export interface LambdaLiveStatsTriggerOptions {
  /** The live-stats function's name or ARN (LIVE_STATS_FUNCTION_NAME); without one, starting is a no-op. */
  functionName: string | undefined;
  region: string;
  /** The Invoke API's endpoint (the local stack's); AWS's regional one when absent. */
  endpoint?: string | undefined;
  credentials?: StaticCredentials | undefined;
  log: Log;
  /** An SDK client to use (tests inject one); built on first use when absent. */
  client?: LambdaClient;
}

/** The event a started run gets; the handler reads the config, not the event. */
export const LIVE_PUSH_START_EVENT = { source: 'switchboard.live-push', 'detail-type': 'Live push started' };

/**
 * Starts the live-stats Lambda with an asynchronous Invoke (InvocationType `Event`): Lambda answers 202
 * at once and runs it in the background, so POST /v1/live-push does not wait for the run's minute.
 */
export class LambdaLiveStatsTrigger implements LiveStatsTrigger {
  #client: LambdaClient | undefined;

  constructor(private readonly options: LambdaLiveStatsTriggerOptions) {
    this.#client = options.client;
  }

  async start(): Promise<void> {
    const { functionName, log } = this.options;
    if (!functionName) {
      log.warn('LIVE_STATS_FUNCTION_NAME is not set: the live push starts at the next schedule tick');
      return;
    }
    await this.client().send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(LIVE_PUSH_START_EVENT)),
      }),
    );
  }

  private client(): LambdaClient {
    this.#client ??= new LambdaClient({
      region: this.options.region,
      ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
      ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
    });
    return this.#client;
  }
}
