import {
  BatchWriteCommand,
  type DocumentClient,
  PutCommand,
} from '../shared/adapters/dynamo/document-client';
import { keys } from '../shared/adapters/dynamo/table';
import { createChannelRegistry, shardOf, userNamespace } from '../shared/core/channels';
import { featureNamespaces } from '../shared/features/manifests';

/**
 * Subscribers of one channel written straight into the table, without sockets (the scale bench, the
 * fan-out integration test): each subscription item in the shard its connection id hashes to, each shard's
 * count and, for a sharded channel, how many shards have a connection; made with the store's own key
 * functions (shared/adapters/dynamo/table.ts) and its namespace's shard count, so a delivery reads them as
 * it reads real ones.
 */
export async function writeSubscribers(
  db: DocumentClient,
  tableName: string,
  channel: string,
  connectionIds: readonly string[],
  { concurrency = 8, onProgress }: { concurrency?: number; onProgress?: (written: number) => void } = {},
): Promise<void> {
  const shards = createChannelRegistry([userNamespace, ...featureNamespaces]).subscriberShards(channel);
  const expiresAt = Math.floor(Date.now() / 1000) + 2 * 60 * 60;
  const perShard = new Array<number>(shards).fill(0);
  let next = 0;
  let written = 0;
  const writer = async () => {
    while (next < connectionIds.length) {
      const chunk = connectionIds.slice(next, next + 25);
      next += 25;
      let requests = chunk.map((connectionId) => {
        const shard = shardOf(connectionId, shards);
        perShard[shard]!++;
        const key = keys.subscription(channel, { shard, shards }, connectionId);
        return { PutRequest: { Item: { ...key, connectionId, expiresAt } } };
      });
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
  const counts = perShard.flatMap((cnt, shard) =>
    cnt === 0 ? [] : [{ ...keys.channelCount(channel, { shard, shards }), cnt }],
  );
  const items = shards === 1 ? counts : [...counts, { ...keys.channelShards(channel), cnt: counts.length }];
  await Promise.all(items.map((Item) => db.send(new PutCommand({ TableName: tableName, Item }))));
}

/** Connection ids shaped like API Gateway's (16 characters of base64 ending in `=`), distinct. */
export const connectionIds = (n: number, prefix = 'S'): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}${i.toString(36).padStart(14, '0')}=`);
