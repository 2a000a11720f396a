import { FAN_OUT_MESSAGE_MAX_BYTES, type FanOutQueue } from '../../core/ports';
import type { CredentialsProvider } from '../aws/credentials';
import { AwsJsonClient } from '../aws/json-protocol';
import type { StaticCredentials } from '../management-api/client';

export interface SqsFanOutQueueOptions {
  /** The queue's URL; requests go to its origin (in AWS sqs.{region}.amazonaws.com, locally the emulator). */
  queueUrl: string;
  region: string;
  /** Explicit credentials (the local stack's) or a provider; the environment's (a Lambda's role) when absent. */
  credentials?: StaticCredentials | CredentialsProvider | undefined;
}

/** SendMessageBatch takes at most 10 entries, 256 KiB in all. */
const MAX_ENTRIES = 10;
/** Requests in flight at once for one `send`. */
const REQUESTS_IN_FLIGHT = 4;
/** Tries of an entry SQS failed on its side (the request itself has been retried already, ../aws/http.ts). */
const ENTRY_ATTEMPTS = 3;

interface BatchEntry {
  Id: string;
  MessageBody: string;
  DelaySeconds?: number;
}

/** SendMessageBatch's answer, as far as it is read here. */
interface SendMessageBatchResult {
  Successful?: { Id: string }[];
  Failed?: { Id: string; SenderFault: boolean; Code: string; Message?: string }[];
}

/**
 * The fan-out queue on SQS: SendMessageBatch (AWS JSON 1.0, `AmazonSQS.SendMessageBatch`, one signed
 * request: no SDK), as few requests as the limits allow, and the entries SQS reports failed on its side
 * sent again. The client is made on the first send: most invocations of a publishing function never queue
 * anything.
 */
export class SqsFanOutQueue implements FanOutQueue {
  #client: AwsJsonClient | undefined;

  constructor(private readonly options: SqsFanOutQueueOptions) {}

  async send(bodies: readonly string[], options: { delaySeconds?: number } = {}): Promise<void> {
    const batches = batchesOf(bodies);
    let next = 0;
    const worker = async () => {
      while (next < batches.length) await this.#sendBatch(batches[next++]!, options.delaySeconds);
    };
    await Promise.all(Array.from({ length: Math.min(REQUESTS_IN_FLIGHT, batches.length) }, worker));
  }

  destroy(): void {
    this.#client?.destroy();
  }

  async #sendBatch(bodies: readonly string[], delaySeconds: number | undefined): Promise<void> {
    const client = this.#sqs();
    let entries: BatchEntry[] = bodies.map((body, i) => ({
      Id: String(i),
      MessageBody: body,
      ...(delaySeconds ? { DelaySeconds: delaySeconds } : {}),
    }));
    for (let attempt = 1; ; attempt++) {
      const out = await client.call<SendMessageBatchResult>('SendMessageBatch', {
        QueueUrl: this.options.queueUrl,
        Entries: entries,
      });
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

  #sqs(): AwsJsonClient {
    const { queueUrl, region, credentials } = this.options;
    this.#client ??= new AwsJsonClient({
      endpoint: new URL(queueUrl).origin,
      region,
      service: 'sqs',
      targetPrefix: 'AmazonSQS',
      ...(credentials ? { credentials } : {}),
    });
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
