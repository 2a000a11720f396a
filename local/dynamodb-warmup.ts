import { createDocumentClient } from '../shared/adapters/dynamo/client';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  type DocumentClient,
  GetCommand,
  QueryCommand,
  UpdateCommand,
} from '../shared/adapters/dynamo/document-client';

/**
 * Warms a DynamoDB Local the stack has just started while the Lambda workers load: rounds of the
 * requests a `$connect`, a join's presence and a `$disconnect` make (BatchWriteItem, an ADD that returns
 * its value, BatchGetItem, Query, GetItem, a conditional DeleteItem), in a partition of their own
 * (`warmup#…`), deleted before the stack opens its port (each with an `expiresAt` a minute ahead: what a
 * stack killed meanwhile leaves, the TTL sweeper deletes). A fresh JVM runs its request path interpreted
 * until its compiler has seen it enough; without this, the first clients after a start pay for that:
 * the first 50 of the fan-out bench's 1,000 sockets took ~1 s, against ~0.2 s for each 50 after
 * (docs/performance.md). The workers' start is the time it takes, so it costs the start nothing.
 */
export interface DynamoWarmup {
  /** Stops starting rounds, waits for those under way and deletes what they wrote. Never rejects. */
  finish(): Promise<WarmupReport>;
}

export interface WarmupReport {
  rounds: number;
  requests: number;
  /** The first failure, if a request failed (the warm-up then stopped early). */
  error?: string;
}

/** Rounds under way at once: a burst of `$connect`s, as a client opening sockets 50 at a time makes. */
const CONCURRENT_ROUNDS = 16;
/** An upper bound however long the workers take. */
const MAX_ROUNDS = 1_500;
const SHARDS = 8;
const PK = 'warmup#';

export function startDynamoWarmup(options: {
  endpoint: string;
  region: string;
  tableName: string;
  pipeline?: number;
}): DynamoWarmup {
  const db = createDocumentClient({
    region: options.region,
    endpoint: options.endpoint,
    ...(options.pipeline ? { pipeline: options.pipeline } : {}),
  });
  const table = options.tableName;
  let stopping = false;
  let started = 0;
  let requests = 0;
  let error: string | undefined;
  const send: DocumentClient['send'] = (command) => {
    requests++;
    return db.send(command);
  };

  async function round(i: number): Promise<void> {
    const pk = `${PK}conn#${i}`;
    // Should the stack die before deleting them, the TTL sweeper does.
    const expiresAt = Math.floor(Date.now() / 1000) + 60;
    const count = (s: number) => ({ pk: `${PK}count#${s}`, sk: 'count' });
    await send(
      new BatchWriteCommand({
        RequestItems: {
          [table]: [
            { PutRequest: { Item: { pk, sk: 'meta', channels: new Set(['room:warmup']), expiresAt } } },
            { PutRequest: { Item: { pk, sk: `conn#${i}`, connectedAt: Date.now(), expiresAt } } },
          ],
        },
      }),
    );
    await Promise.all([
      send(
        new UpdateCommand({
          TableName: table,
          Key: count(i % SHARDS),
          UpdateExpression: 'ADD cnt :one SET expiresAt = :exp',
          ExpressionAttributeValues: { ':one': 1, ':exp': expiresAt },
          ReturnValues: 'UPDATED_NEW',
        }),
      ),
      send(
        new BatchGetCommand({
          RequestItems: {
            [table]: {
              Keys: Array.from({ length: SHARDS - 1 }, (_, s) => count((i + s + 1) % SHARDS)),
              ConsistentRead: true,
            },
          },
        }),
      ),
    ]);
    await Promise.all([
      send(new GetCommand({ TableName: table, Key: { pk, sk: 'meta' }, ConsistentRead: true })),
      send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ConsistentRead: true,
        }),
      ),
    ]);
    await Promise.all(
      ['meta', `conn#${i}`].map((sk) =>
        send(
          new DeleteCommand({
            TableName: table,
            Key: { pk, sk },
            ConditionExpression: 'attribute_exists(pk)',
            ReturnValues: 'ALL_OLD',
          }),
        ),
      ),
    );
  }

  async function lane(): Promise<void> {
    while (!stopping && error === undefined && started < MAX_ROUNDS) {
      const i = started++;
      try {
        await round(i);
      } catch (e) {
        error ??= e instanceof Error ? e.message : String(e);
      }
    }
  }

  const lanes = Promise.all(Array.from({ length: CONCURRENT_ROUNDS }, lane));

  return {
    async finish() {
      stopping = true;
      await lanes;
      // Only the counts are left (each round deletes its own items).
      await send(
        new BatchWriteCommand({
          RequestItems: {
            [table]: Array.from({ length: SHARDS }, (_, s) => ({
              DeleteRequest: { Key: { pk: `${PK}count#${s}`, sk: 'count' } },
            })),
          },
        }),
      ).catch((e: unknown) => {
        error ??= e instanceof Error ? e.message : String(e);
      });
      db.destroy();
      return { rounds: started, requests, ...(error === undefined ? {} : { error }) };
    },
  };
}
