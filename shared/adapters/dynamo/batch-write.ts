import { mapBounded } from '../../core/delivery/pool';
import type { Clock } from '../../core/ports';
import { BatchWriteCommand, type DocumentClient, type WriteRequest } from './document-client';

/** BatchWriteItem takes at most 25 puts and deletes. */
const BATCH_WRITE_MAX = 25;
/** Batches in flight at once. */
const BATCHES_IN_FLIGHT = 4;
/** BatchWriteItem calls for one batch before what DynamoDB keeps leaving unprocessed is an error. */
const BATCH_WRITE_ATTEMPTS = 6;
/** The first pause before unprocessed items go again; it doubles each time, with as much jitter on top. */
const UNPROCESSED_BACKOFF_MS = 25;

/**
 * Writes every put and delete of `requests` to one table in BatchWriteItem calls of at most 25, several
 * at once. What DynamoDB leaves unprocessed (throttling) goes again after a jittered, doubling pause; an
 * item still unprocessed after BATCH_WRITE_ATTEMPTS calls fails the whole write (the items already
 * written stay: the caller undoes them or lets them expire). Unconditional: a request that must not
 * overwrite needs a PutItem of its own.
 */
export async function batchWrite(
  db: DocumentClient,
  tableName: string,
  requests: readonly WriteRequest[],
  clock: Pick<Clock, 'sleep'>,
): Promise<void> {
  const batches: WriteRequest[][] = [];
  for (let i = 0; i < requests.length; i += BATCH_WRITE_MAX) {
    batches.push(requests.slice(i, i + BATCH_WRITE_MAX));
  }
  await mapBounded(batches, BATCHES_IN_FLIGHT, (batch) => writeBatch(db, tableName, batch, clock));
}

async function writeBatch(
  db: DocumentClient,
  tableName: string,
  batch: WriteRequest[],
  clock: Pick<Clock, 'sleep'>,
): Promise<void> {
  let pending = batch;
  for (let attempt = 1; ; attempt++) {
    const out = await db.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
    const left = out.UnprocessedItems?.[tableName] ?? [];
    if (left.length === 0) return;
    if (attempt >= BATCH_WRITE_ATTEMPTS) {
      throw new Error(
        `${left.length} of ${batch.length} items still unprocessed after ${attempt} BatchWriteItem calls`,
      );
    }
    pending = left;
    const backoff = UNPROCESSED_BACKOFF_MS * 2 ** (attempt - 1);
    await clock.sleep(backoff + Math.floor(Math.random() * backoff));
  }
}
