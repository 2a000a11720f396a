import type { SQSClient } from '@aws-sdk/client-sqs';
import { FAN_OUT_MESSAGE_MAX_BYTES, type FanOutQueue } from '../../core/ports';
import type { CredentialsProvider } from '../aws/credentials';
import type { StaticCredentials } from '../management-api/client';

export interface SqsFanOutQueueOptions {
  /** The queue's URL; the SDK sends to its host (in AWS sqs.{region}.amazonaws.com, locally the emulator). */
  queueUrl: string;
  region: string;
  /** Explicit credentials (the local stack's); the SDK's default chain when absent. */
  credentials?: StaticCredentials | CredentialsProvider;
  /** An SDK client to use (tests inject one); built on the first send when absent. */
  client?: SQSClient;
}

/** SendMessageBatch takes at most 10 entries, 256 KiB in all. */
const MAX_ENTRIES = 10;
/** Requests in flight at once for one `send`. */
const REQUESTS_IN_FLIGHT = 4;
/** Tries of an entry SQS failed on its side (the SDK has retried the request itself already). */
const ENTRY_ATTEMPTS = 3;

/**
 * The fan-out queue on SQS: SendMessageBatch, as few requests as the limits allow, and the entries SQS
 * reports failed on its side sent again. The SDK is loaded on the first send: most invocations of a
 * publishing function never queue anything, and need not pay for loading the SQS client when they start.
 */
export class SqsFanOutQueue implements FanOutQueue {
  #client: Promise<SQSClient> | undefined;

  constructor(private readonly options: SqsFanOutQueueOptions) {
    if (options.client) this.#client = Promise.resolve(options.client);
  }

  async send(bodies: readonly string[], options: { delaySeconds?: number } = {}): Promise<void> {
    const batches = batchesOf(bodies);
    let next = 0;
    const worker = async () => {
      while (next < batches.length) await this.#sendBatch(batches[next++]!, options.delaySeconds);
    };
    await Promise.all(Array.from({ length: Math.min(REQUESTS_IN_FLIGHT, batches.length) }, worker));
  }

  destroy(): void {
    void this.#client?.then((client) => client.destroy());
  }

  async #sendBatch(bodies: readonly string[], delaySeconds: number | undefined): Promise<void> {
    const { SendMessageBatchCommand } = await import('@aws-sdk/client-sqs');
    const client = await this.#sqs();
    let entries = bodies.map((body, i) => ({
      Id: String(i),
      MessageBody: body,
      ...(delaySeconds ? { DelaySeconds: delaySeconds } : {}),
    }));
    for (let attempt = 1; ; attempt++) {
      const out = await client.send(
        new SendMessageBatchCommand({ QueueUrl: this.options.queueUrl, Entries: entries }),
      );
      const failed = out.Failed ?? [];
      if (failed.length === 0) return;
      const refused = failed.filter((f) => f.SenderFault);
      if (refused.length > 0 || attempt >= ENTRY_ATTEMPTS) {
        const first = failed[0]!;
        throw new Error(
          `SQS did not take ${failed.length} of ${entries.length} fan-out messages: ${first.Code}: ${first.Message}`,
        );
      }
      const retry = new Set(failed.map((f) => f.Id));
      entries = entries.filter((e) => retry.has(e.Id));
    }
  }

  #sqs(): Promise<SQSClient> {
    this.#client ??= import('@aws-sdk/client-sqs').then(
      ({ SQSClient }) =>
        new SQSClient({
          region: this.options.region,
          // The queue URL's host: AWS's regional endpoint, or the local stack's emulation (said explicitly,
          // the SDK would warn on every client that the URL's host differs from the region's endpoint).
          endpoint: new URL(this.options.queueUrl).origin,
          ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
        }),
    );
    return this.#client;
  }
}

/** The bodies in SendMessageBatch requests: at most 10 and 256 KiB each, in order. */
export function batchesOf(bodies: readonly string[]): string[][] {
  const batches: string[][] = [];
  let batch: string[] = [];
  let bytes = 0;
  for (const body of bodies) {
    const size = Buffer.byteLength(body);
    if (size > FAN_OUT_MESSAGE_MAX_BYTES) throw new RangeError(`a fan-out message of ${size} bytes`);
    if (batch.length === MAX_ENTRIES || bytes + size > FAN_OUT_MESSAGE_MAX_BYTES) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(body);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}
