import { DeleteCommand, type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { table } from '../shared/adapters/dynamo/table';
import { errorText, type LocalLog } from './log';

/**
 * DynamoDB's TTL, locally (DynamoDB Local and dynalite never delete anything): every interval, Scan the
 * table and delete the items whose `expiresAt` (epoch seconds, a Number) is past. Like DynamoDB, it leaves
 * items whose time is more than five years in the past. A Scan is fine here: local only, never on a
 * request path.
 */
export interface TtlSweeper {
  start(): void;
  stop(): Promise<void>;
  /** One sweep now; resolves with the number of items deleted. */
  sweepNow(): Promise<number>;
}

const FIVE_YEARS_S = 5 * 365 * 24 * 3600;

export function createTtlSweeper(options: {
  db: DynamoDBDocumentClient;
  tableName: string;
  intervalMs: number;
  log: LocalLog;
}): TtlSweeper {
  const { db, tableName, log } = options;
  const attr = table.ttlAttribute;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;

  async function sweep(): Promise<number> {
    const now = Math.floor(Date.now() / 1000);
    let deleted = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await db.send(
        new ScanCommand({
          TableName: tableName,
          ProjectionExpression: '#pk, #sk',
          FilterExpression: '#ttl < :now AND #ttl > :oldest',
          ExpressionAttributeNames: { '#pk': table.partitionKey, '#sk': table.sortKey, '#ttl': attr },
          ExpressionAttributeValues: { ':now': now, ':oldest': now - FIVE_YEARS_S },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const key of page.Items ?? []) {
        try {
          // Conditional: an item renewed since the Scan stays.
          await db.send(
            new DeleteCommand({
              TableName: tableName,
              Key: key,
              ConditionExpression: '#ttl < :now',
              ExpressionAttributeNames: { '#ttl': attr },
              ExpressionAttributeValues: { ':now': now },
            }),
          );
          deleted++;
        } catch (error) {
          if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
        }
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    if (deleted > 0) log.debug(`ttl sweeper deleted ${deleted} expired items`);
    return deleted;
  }

  // One sweep at a time: a slow sweep is joined, not doubled.
  const sweepOnce = (): Promise<number> => {
    running ??= sweep().finally(() => {
      running = undefined;
    });
    return running;
  };

  return {
    start() {
      if (options.intervalMs <= 0 || timer) return;
      timer = setInterval(() => {
        sweepOnce().catch((error: unknown) => log.warn(`ttl sweep failed: ${errorText(error)}`));
      }, options.intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      // Waits for a sweep under way to end; its failure was reported to whoever started it.
      await running?.catch(() => {});
    },
    sweepNow: sweepOnce,
  };
}
