import { SqsSchema } from '@aws-lambda-powertools/parser/schemas';
import {
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCredentials, loadLocalCredentials } from '../../../local/credentials';
import { createLog } from '../../../local/log';
import { EventSource, LocalQueue } from '../../../local/queues';
import { listen } from '../../../local/server';
import { createSqsApi, queueUrl } from '../../../local/sqs-api';
import type { SqsBatchResponse, SqsEvent } from '../../../shared/app/events';

const REGION = 'us-east-1';
const VISIBILITY_MS = 60;
const log = createLog('silent');

let server: Awaited<ReturnType<typeof listen>>;
let credentials: LocalCredentials;
const queues = new Map<string, LocalQueue>();
let endpoint: string;

/** A queue of its own for each test, on the one emulated API. */
function newQueue(name: string, maxReceiveCount = 3): { queue: LocalQueue; url: string } {
  const queue = new LocalQueue({ name, region: REGION, visibilityTimeoutMs: VISIBILITY_MS, maxReceiveCount });
  queues.set(name, queue);
  return { queue, url: queueUrl(endpoint, name) };
}

const client = (secret?: string) =>
  new SQSClient({
    region: REGION,
    endpoint,
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: secret ?? credentials.secretAccessKey,
    },
    maxAttempts: 1,
  });

beforeAll(async () => {
  credentials = await loadLocalCredentials(null);
  server = await listen(0, '127.0.0.1');
  endpoint = `http://127.0.0.1:${server.port}`;
  server.mount({
    request: createSqsApi({ queues, credentials, region: REGION }),
    upgrade: (_req, socket) => socket.destroy(),
  });
});
afterAll(() => server.close(1000));

describe('The SQS emulation’s API, through @aws-sdk/client-sqs', () => {
  it('takes SendMessageBatch and SendMessage, signed, answering the MD5 the SDK checks', async () => {
    const { queue, url } = newQueue('sends');
    const sqs = client();
    const out = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'a', MessageBody: '{"v":1}\n{"type":"x"}' },
          { Id: 'b', MessageBody: 'grüße 😀' },
        ],
      }),
    );
    expect(out.Successful?.map((s) => s.Id)).toEqual(['a', 'b']);
    expect(out.Failed ?? []).toEqual([]);
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'later', DelaySeconds: 900 }));
    expect(queue.size).toBe(3);
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }),
    );
    expect(attributes.Attributes).toMatchObject({
      ApproximateNumberOfMessages: '2',
      ApproximateNumberOfMessagesNotVisible: '1',
    });
    sqs.destroy();
  });

  it('refuses what SQS refuses: a bad signature, an unknown queue, 11 entries, 256 KiB, bad characters', async () => {
    const { queue, url } = newQueue('refusals');
    const sqs = client();
    const body = (n: number) => Array.from({ length: n }, (_, i) => ({ Id: `e${i}`, MessageBody: 'm' }));
    await expect(
      client('wrong').send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'm' })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
    await expect(
      sqs.send(new SendMessageCommand({ QueueUrl: queueUrl(endpoint, 'nope'), MessageBody: 'm' })),
    ).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
    await expect(
      sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: body(11) })),
    ).rejects.toMatchObject({
      name: 'TooManyEntriesInBatchRequest',
    });
    const half = 'x'.repeat(130 * 1024);
    await expect(
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: [
            { Id: 'a', MessageBody: half },
            { Id: 'b', MessageBody: half },
          ],
        }),
      ),
    ).rejects.toMatchObject({ name: 'BatchRequestTooLong' });
    const out = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'ok', MessageBody: 'fine' },
          { Id: 'bad', MessageBody: 'nul \u0000' },
        ],
      }),
    );
    expect(out.Failed).toEqual([
      { Id: 'bad', SenderFault: true, Code: 'InvalidMessageContents', Message: 'Invalid characters found.' },
    ]);
    expect(queue.size).toBe(1);
    sqs.destroy();
  });
});

/** An event source on `queue` whose invocations `handle` answers; records every event it got. */
function source(
  queue: LocalQueue,
  handle: (event: SqsEvent) => Promise<SqsBatchResponse | undefined>,
  options: { batchSize?: number; maxConcurrency?: number } = {},
) {
  const events: SqsEvent[] = [];
  let running = 0;
  let maxRunning = 0;
  const eventSource = new EventSource({
    queue,
    lambda: 'fan-out-worker',
    batchSize: options.batchSize ?? 10,
    maxConcurrency: options.maxConcurrency ?? 2,
    region: REGION,
    log,
    async invoke(_lambda, event) {
      events.push(SqsSchema.parse(event) as SqsEvent); // the shape AWS sends, by Powertools' schema
      running++;
      maxRunning = Math.max(maxRunning, running);
      try {
        return await handle(event as SqsEvent);
      } finally {
        running--;
      }
    },
  });
  eventSource.start();
  return { eventSource, events, maxRunning: () => maxRunning };
}

const bodies = (events: SqsEvent[]) => events.flatMap((e) => e.Records.map((r) => r.body));

describe('The emulated event source mapping', () => {
  it('invokes with batches of at most batchSize, at most maxConcurrency at once, each message once', async () => {
    const { queue } = newQueue('batches');
    const { eventSource, events, maxRunning } = source(
      queue,
      async () => {
        await new Promise((r) => setTimeout(r, 20));
        return { batchItemFailures: [] };
      },
      { batchSize: 3, maxConcurrency: 2 },
    );
    const sent = Array.from({ length: 20 }, (_, i) => `m${i}`);
    for (const body of sent) queue.send(body);
    await eventSource.idle();
    await eventSource.stop();
    expect(events.every((e) => e.Records.length <= 3)).toBe(true);
    expect(maxRunning()).toBe(2);
    expect(bodies(events).sort()).toEqual([...sent].sort());
    expect(queue.stats).toMatchObject({
      sent: 20,
      received: 20,
      deleted: 20,
      redelivered: 0,
      deadLettered: 0,
    });
  });

  it('deletes what succeeded and gives again, after the visibility timeout, what the function reported failed', async () => {
    const { queue } = newQueue('partial');
    const firstTry = new Set<string>();
    const { eventSource, events } = source(queue, async (event) => ({
      // Half of the batch fails the first time each message is seen.
      batchItemFailures: event.Records.filter((r) => Number(r.body.slice(1)) % 2 === 0)
        .filter((r) => !firstTry.has(r.body) && firstTry.add(r.body))
        .map((r) => ({ itemIdentifier: r.messageId })),
    }));
    const started = Date.now();
    for (let i = 0; i < 8; i++) queue.send(`m${i}`);
    await eventSource.idle();
    await eventSource.stop();
    expect(Date.now() - started).toBeGreaterThanOrEqual(VISIBILITY_MS);
    const again = events.slice(1).flatMap((e) => e.Records);
    expect(again.map((r) => r.body).sort()).toEqual(['m0', 'm2', 'm4', 'm6']);
    expect(again.every((r) => r.attributes.ApproximateReceiveCount === '2')).toBe(true);
    expect(queue.stats).toMatchObject({ received: 12, redelivered: 4, deleted: 8, deadLettered: 0 });
  });

  it('moves a message that keeps failing to the dead-letter queue after maxReceiveCount receives', async () => {
    const { queue } = newQueue('poison', 3);
    const { eventSource, events } = source(queue, async (event) => ({
      batchItemFailures: event.Records.filter((r) => r.body === 'poison').map((r) => ({
        itemIdentifier: r.messageId,
      })),
    }));
    queue.send('poison');
    queue.send('fine');
    await eventSource.idle();
    await eventSource.stop();
    expect(bodies(events).filter((b) => b === 'poison')).toHaveLength(3);
    expect(bodies(events).filter((b) => b === 'fine')).toHaveLength(1);
    expect(queue.deadLetters).toEqual([expect.objectContaining({ body: 'poison', receiveCount: 3 })]);
    expect(queue.stats).toMatchObject({ deadLettered: 1, deleted: 1 });
    expect(queue.size).toBe(0);
  });

  it('gives the whole batch again when the function throws (or times out)', async () => {
    const { queue } = newQueue('throws');
    let calls = 0;
    const { eventSource, events } = source(queue, async () => {
      if (++calls === 1) throw new Error('the worker died');
      return undefined; // no response: complete success
    });
    queue.send('a');
    queue.send('b');
    await eventSource.idle();
    await eventSource.stop();
    expect(bodies(events)).toEqual(['a', 'b', 'a', 'b']);
    expect(eventSource.failedInvocations).toBe(1);
  });

  it('fails the whole batch on an answer naming a message that is not in it, as Lambda does', async () => {
    const { queue } = newQueue('invalid-answer');
    let calls = 0;
    const { eventSource, events } = source(queue, async () =>
      ++calls === 1
        ? { batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] }
        : { batchItemFailures: [] },
    );
    queue.send('a');
    queue.send('b');
    await eventSource.idle();
    await eventSource.stop();
    expect(events).toHaveLength(2);
    expect(bodies(events)).toEqual(['a', 'b', 'a', 'b']);
  });

  it('holds a delayed message back until its delay is over', async () => {
    const { queue } = newQueue('delayed');
    const seenAt: number[] = [];
    const { eventSource } = source(queue, async () => {
      seenAt.push(Date.now());
      return undefined;
    });
    const sentAt = Date.now();
    queue.send('later', 1);
    await eventSource.idle();
    await eventSource.stop();
    expect(seenAt).toHaveLength(1);
    expect(seenAt[0]! - sentAt).toBeGreaterThanOrEqual(1000);
  });
});
