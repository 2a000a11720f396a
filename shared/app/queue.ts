import { PacerPool } from '../core/delivery/pacing';
import { handleFanOutMessage, type WorkerDeps } from '../core/delivery/worker';
import type { SqsBatchResponse, SqsEvent } from './events';
import type { Runtime } from './runtime';

/** The part of Lambda's context object the worker reads. */
export interface WorkerContext {
  getRemainingTimeInMillis(): number;
}

/**
 * Before its timeout the worker stops starting posts (what is left goes to a continuation): a post in
 * flight may take its 5 s timeout, then gone connections are removed and the continuation is sent.
 */
export const STOP_BEFORE_TIMEOUT_MS = 10_000;

/**
 * The fan-out worker's handler (lambdas/fan-out-worker.ts): a batch of fan-out messages from the SQS event
 * source, handled at once, each by core/delivery/worker.ts, with the pacer of this execution environment
 * (pacing.ts). A message that throws (a read or a send failed, a message it cannot read) is reported in
 * `batchItemFailures`: SQS gives it again after its visibility timeout, and after the queue's
 * maxReceiveCount it goes to the dead-letter queue. The others are deleted.
 */
export function fanOutWorkerHandler(rt: Runtime) {
  const { quotaPerSecond, workers } = rt.config.fanOut;
  const pacers = new PacerPool(rt.clock, quotaPerSecond / workers);
  const queue = rt.fanOutQueue;
  const deps: WorkerDeps | undefined = queue && { ...rt, fanOutQueue: queue };
  return async (event: SqsEvent, context: WorkerContext): Promise<SqsBatchResponse> => {
    if (!deps) throw new Error('FANOUT_QUEUE_URL is not configured: the worker cannot pass work on');
    const deadline = rt.clock.now() + context.getRemainingTimeInMillis() - STOP_BEFORE_TIMEOUT_MS;
    return pacers.using(async (pacer) => {
      const throttledBefore = pacer.throttles;
      pacer.resetSlowest();
      const failures: SqsBatchResponse['batchItemFailures'] = [];
      await Promise.all(
        event.Records.map(async (record) => {
          try {
            const outcome = await handleFanOutMessage(deps, record.body, { pacer, deadline });
            rt.log.debug('fan-out message done', { messageId: record.messageId, ...outcome });
          } catch (error) {
            rt.log.error('fan-out message failed', {
              messageId: record.messageId,
              receiveCount: record.attributes.ApproximateReceiveCount,
              error: error instanceof Error ? error.stack : String(error),
            });
            failures.push({ itemIdentifier: record.messageId });
          }
        }),
      );
      rt.log.debug('fan-out batch done', {
        messages: event.Records.length,
        failed: failures.length,
        throttled: pacer.throttles - throttledBefore,
        rate: Math.round(pacer.rate),
        slowest: Math.round(pacer.slowest),
      });
      return { batchItemFailures: failures };
    });
  };
}
