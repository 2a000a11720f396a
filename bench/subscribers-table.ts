import { BatchWriteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../shared/adapters/dynamo/table';

/**
 * Subscribers of one channel written straight into the table, without sockets (the scale bench, the
 * fan-out integration test): each subscription item and the channel's count, made with the store's own
 * key functions (shared/adapters/dynamo/table.ts), so a delivery reads them as it reads real ones.
 */
export async function writeSubscribers(
  db: DynamoDBDocumentClient,
  tableName: string,
  channel: string,
  connectionIds: readonly string[],
  { concurrency = 8, onProgress }: { concurrency?: number; onProgress?: (written: number) => void } = {},
): Promise<void> {
  const expiresAt = Math.floor(Date.now() / 1000) + 2 * 60 * 60;
  let next = 0;
  let written = 0;
  const writer = async () => {
    while (next < connectionIds.length) {
      const chunk = connectionIds.slice(next, next + 25);
      next += 25;
      let requests = chunk.map((connectionId) => ({
        PutRequest: { Item: { ...keys.subscription(channel, connectionId), connectionId, expiresAt } },
      }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, 50 * attempt));
        const out = await db.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
        requests = (out.UnprocessedItems?.[tableName] ?? []) as typeof requests;
      }
      written += chunk.length;
      onProgress?.(written);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, writer));
  await db.send(
    new PutCommand({
      TableName: tableName,
      Item: { ...keys.channelCount(channel), cnt: connectionIds.length },
    }),
  );
}

/** Connection ids shaped like API Gateway's (16 characters of base64 ending in `=`), distinct. */
export const connectionIds = (n: number, prefix = 'S'): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}${i.toString(36).padStart(14, '0')}=`);
