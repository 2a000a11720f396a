import { createHash, randomUUID } from 'node:crypto';
import type { LambdaName } from '../shared/app/routes';
import { LOCAL_ACCOUNT_ID } from './ids';
import { errorText, type LocalLog } from './log';

/**
 * SQS as the local stack needs it: a standard queue in memory (delay, visibility timeout, receive counts, a
 * dead-letter queue after `maxReceiveCount` receives) and an event source mapping that feeds it to a Lambda
 * through the local invoker, as AWS's does: batches of at most `batchSize`, at most `maxConcurrency`
 * invocations at once, `batchItemFailures` read as AWS reads them (ReportBatchItemFailures), and a failed
 * invocation's messages received again once their visibility timeout ends. sqs-api.ts is its HTTP API.
 * Messages live as long as the process: a stopped stack forgets what was still queued.
 */

export interface LocalQueueOptions {
  name: string;
  region: string;
  visibilityTimeoutMs: number;
  maxReceiveCount: number;
}

interface Message {
  id: string;
  body: string;
  md5: string;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
  firstReceiveAt: number | undefined;
  /** The receipt handle of its latest receive. */
  receipt: string | undefined;
}

/** A message taken from the queue for an invocation. */
export interface Received {
  messageId: string;
  receipt: string;
  body: string;
  md5: string;
  sentAt: number;
  receiveCount: number;
  firstReceiveAt: number;
}

/** What the queue did so far: for the bench, tests and the start banner's curious user. */
export interface QueueStats {
  sent: number;
  /** Receives, redeliveries included. */
  received: number;
  /** Receives of a message received before (visibility timeout ended after a failure). */
  redelivered: number;
  deleted: number;
  deadLettered: number;
}

export interface DeadLetter {
  messageId: string;
  body: string;
  receiveCount: number;
}

export class LocalQueue {
  readonly name: string;
  readonly arn: string;
  readonly stats: QueueStats = { sent: 0, received: 0, redelivered: 0, deleted: 0, deadLettered: 0 };
  readonly deadLetters: DeadLetter[] = [];
  readonly #messages = new Map<string, Message>();
  readonly #listeners = new Set<() => void>();

  constructor(readonly options: LocalQueueOptions) {
    this.name = options.name;
    this.arn = `arn:aws:sqs:${options.region}:${LOCAL_ACCOUNT_ID}:${options.name}`;
  }

  /** Messages in the queue: visible, in flight and delayed. */
  get size(): number {
    return this.#messages.size;
  }

  send(body: string, delaySeconds = 0, now = Date.now()): { messageId: string; md5: string } {
    const message: Message = {
      id: randomUUID(),
      body,
      md5: md5Of(body),
      sentAt: now,
      visibleAt: now + delaySeconds * 1000,
      receiveCount: 0,
      firstReceiveAt: undefined,
      receipt: undefined,
    };
    this.#messages.set(message.id, message);
    this.stats.sent++;
    this.#changed();
    return { messageId: message.id, md5: message.md5 };
  }

  /**
   * Up to `max` visible messages, oldest first, each invisible for the visibility timeout from now on. A
   * message received `maxReceiveCount` times already moves to the dead-letter queue instead.
   */
  receive(max: number, now = Date.now()): Received[] {
    const out: Received[] = [];
    let deadLettered = false;
    for (const message of this.#messages.values()) {
      if (out.length >= max) break;
      if (message.visibleAt > now) continue;
      if (message.receiveCount >= this.options.maxReceiveCount) {
        this.#messages.delete(message.id);
        this.deadLetters.push({
          messageId: message.id,
          body: message.body,
          receiveCount: message.receiveCount,
        });
        this.stats.deadLettered++;
        deadLettered = true;
        continue;
      }
      if (message.receiveCount > 0) this.stats.redelivered++;
      message.receiveCount++;
      message.firstReceiveAt ??= now;
      message.visibleAt = now + this.options.visibilityTimeoutMs;
      message.receipt = randomUUID();
      this.stats.received++;
      out.push({
        messageId: message.id,
        receipt: message.receipt,
        body: message.body,
        md5: message.md5,
        sentAt: message.sentAt,
        receiveCount: message.receiveCount,
        firstReceiveAt: message.firstReceiveAt,
      });
    }
    if (deadLettered) this.#changed();
    return out;
  }

  /** Deletes a received message, unless it was received again since (its visibility timeout ended). */
  delete(received: Received): void {
    const message = this.#messages.get(received.messageId);
    if (!message || message.receipt !== received.receipt) return;
    this.#messages.delete(received.messageId);
    this.stats.deleted++;
    this.#changed();
  }

  /** When the next message not visible now becomes visible (a delay or a visibility timeout ending). */
  nextVisibleAt(now = Date.now()): number | undefined {
    let next: number | undefined;
    for (const m of this.#messages.values()) {
      if (m.visibleAt > now && (next === undefined || m.visibleAt < next)) next = m.visibleAt;
    }
    return next;
  }

  /** `[visible, in flight or delayed]` now. */
  counts(now = Date.now()): { visible: number; notVisible: number } {
    let visible = 0;
    for (const m of this.#messages.values()) if (m.visibleAt <= now) visible++;
    return { visible, notVisible: this.#messages.size - visible };
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }
}

/** SQS's MD5OfMessageBody: the SDK checks it against what it sent. */
export const md5Of = (body: string): string => createHash('md5').update(body, 'utf8').digest('hex');

export interface EventSourceOptions {
  queue: LocalQueue;
  lambda: LambdaName;
  batchSize: number;
  maxConcurrency: number;
  region: string;
  invoke(lambda: LambdaName, event: unknown): Promise<unknown>;
  log: LocalLog;
}

/** An SQS event source mapping with ReportBatchItemFailures, on the local invoker. */
export class EventSource {
  readonly #o: EventSourceOptions;
  #running = 0;
  #stopped = true;
  #timer: NodeJS.Timeout | undefined;
  #scheduled = false;
  readonly #inflight = new Set<Promise<void>>();
  readonly #idle = new Set<() => void>();
  /** Invocations that threw or timed out: their whole batch is received again. */
  failedInvocations = 0;

  constructor(options: EventSourceOptions) {
    this.#o = options;
    options.queue.onChange(() => this.#schedule());
  }

  start(): void {
    this.#stopped = false;
    this.#schedule();
  }

  /** Receives nothing more; the invocations under way go on. */
  pause(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  /** Stops receiving, then waits for the invocations under way. */
  async stop(): Promise<void> {
    this.pause();
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
    this.#notifyIdle();
  }

  /** Resolves once the queue is empty and no invocation runs (delayed messages count as not empty). */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idle.add(resolve));
  }

  #isIdle(): boolean {
    return this.#running === 0 && this.#o.queue.size === 0;
  }

  #notifyIdle(): void {
    if (!this.#isIdle()) return;
    for (const resolve of this.#idle) resolve();
    this.#idle.clear();
  }

  /** Polls on the next turn of the event loop: a burst of sends becomes full batches. */
  #schedule(): void {
    if (this.#stopped || this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#poll();
    });
  }

  #poll(): void {
    if (this.#stopped) return;
    const { queue, batchSize, maxConcurrency } = this.#o;
    while (this.#running < maxConcurrency) {
      const batch = queue.receive(batchSize);
      if (batch.length === 0) break;
      this.#running++;
      const run = this.#invoke(batch).finally(() => {
        this.#running--;
        this.#inflight.delete(run);
        this.#notifyIdle();
        this.#schedule();
      });
      this.#inflight.add(run);
    }
    clearTimeout(this.#timer);
    const next = queue.nextVisibleAt();
    if (next !== undefined) {
      this.#timer = setTimeout(() => this.#schedule(), Math.max(0, next - Date.now()) + 1);
      this.#timer.unref();
    }
    this.#notifyIdle();
  }

  async #invoke(batch: Received[]): Promise<void> {
    const { queue, lambda, log } = this.#o;
    let result: unknown;
    try {
      result = await this.#o.invoke(lambda, this.#event(batch));
    } catch (error) {
      this.failedInvocations++;
      log.warn(
        `${lambda} failed on ${batch.length} messages of ${queue.name}; they are received again after the visibility timeout: ${errorText(error)}`,
      );
      return;
    }
    const failed = failedItems(result, new Set(batch.map((m) => m.messageId)));
    if (failed === 'all') {
      log.warn(`${lambda} answered an invalid batchItemFailures: the whole batch of ${queue.name} failed`);
      return;
    }
    for (const message of batch) if (!failed.has(message.messageId)) queue.delete(message);
  }

  /** The event AWS's event source mapping sends for an SQS batch. */
  #event(batch: Received[]) {
    const { queue, region } = this.#o;
    return {
      Records: batch.map((m) => ({
        messageId: m.messageId,
        receiptHandle: m.receipt,
        body: m.body,
        attributes: {
          ApproximateReceiveCount: String(m.receiveCount),
          SentTimestamp: String(m.sentAt),
          SenderId: LOCAL_ACCOUNT_ID,
          ApproximateFirstReceiveTimestamp: String(m.firstReceiveAt),
        },
        messageAttributes: {},
        md5OfBody: m.md5,
        eventSource: 'aws:sqs' as const,
        eventSourceARN: queue.arn,
        awsRegion: region,
      })),
    };
  }
}

/**
 * The messages a function reported failed, as Lambda reads a response with ReportBatchItemFailures: no
 * response, or no or an empty list, is complete success; an identifier that is not a string of the batch,
 * or a response of another shape, fails the whole batch.
 */
export function failedItems(result: unknown, batch: ReadonlySet<string>): Set<string> | 'all' {
  if (result === null || result === undefined) return new Set();
  if (typeof result !== 'object' || Array.isArray(result)) return 'all';
  const list = (result as { batchItemFailures?: unknown }).batchItemFailures;
  if (list === null || list === undefined) return new Set();
  if (!Array.isArray(list)) return 'all';
  const failed = new Set<string>();
  for (const item of list) {
    const id = (item as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !batch.has(id)) return 'all';
    failed.add(id);
  }
  return failed;
}
