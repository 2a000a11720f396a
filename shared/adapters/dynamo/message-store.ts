import type { Clock, HistoryEntry, HistoryPage, MessageStore } from '../../core/ports';
import { isConditionalCheckFailed } from './client';
import { type DocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from './document-client';
import { keys, padSeq } from './table';

/**
 *   seq#{channel} / seq        the channel's last seq (atomic ADD), and when it was taken (at, epoch ms)
 *   hist#{channel} / {seq:012} a delivered frame, as it was serialized (or a void marker); at: when its seq
 *                              was taken. Written once: a conditional put, so a seq holds one entry for good.
 */
export class DynamoMessageStore implements MessageStore {
  constructor(
    private readonly db: DocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  async nextSeq(channel: string): Promise<number> {
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.seq(channel),
        UpdateExpression: 'ADD seq :one SET #at = :now',
        ExpressionAttributeNames: { '#at': 'at' },
        ExpressionAttributeValues: { ':one': 1, ':now': this.clock.now() },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(Attributes?.seq);
  }

  async currentSeq(channel: string): Promise<number> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.seq(channel), ConsistentRead: true }),
    );
    return Number(Item?.seq ?? 0);
  }

  async lastSeq(channel: string): Promise<{ seq: number; at: number | null }> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.seq(channel), ConsistentRead: true }),
    );
    return { seq: Number(Item?.seq ?? 0), at: typeof Item?.at === 'number' ? Item.at : null };
  }

  async appendHistory(
    channel: string,
    entry: HistoryEntry,
    expiresAt: number | null,
  ): Promise<HistoryEntry | null> {
    const key = keys.history(channel, entry.seq);
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...key,
            seq: entry.seq,
            frame: entry.frame,
            ...(entry.at === undefined ? {} : { at: entry.at }),
            ...(expiresAt === null ? {} : { expiresAt }),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return null;
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    if (!Item) throw new Error(`history entry ${channel} ${entry.seq} exists and does not`);
    return entryOf(Item);
  }

  async history(channel: string, afterSeq: number, limit: number): Promise<HistoryPage> {
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk > :after',
        ExpressionAttributeValues: { ':pk': keys.historyPartition(channel), ':after': padSeq(afterSeq) },
        Limit: limit,
        ConsistentRead: true,
      }),
    );
    return this.toPage(page.Items ?? [], page.LastEvaluatedKey !== undefined);
  }

  async historyBefore(channel: string, beforeSeq: number | null, limit: number): Promise<HistoryPage> {
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: beforeSeq === null ? 'pk = :pk' : 'pk = :pk AND sk < :before',
        ExpressionAttributeValues: {
          ':pk': keys.historyPartition(channel),
          ...(beforeSeq === null ? {} : { ':before': padSeq(beforeSeq) }),
        },
        ScanIndexForward: false,
        Limit: limit,
        ConsistentRead: true,
      }),
    );
    return this.toPage(page.Items ?? [], page.LastEvaluatedKey !== undefined);
  }

  /** Expired entries (TTL has not got to them yet) are left out; `next` follows the last item read. */
  private toPage(items: Record<string, unknown>[], more: boolean): HistoryPage {
    const nowSec = this.clock.now() / 1000;
    const entries = items
      .filter((i) => !(typeof i.expiresAt === 'number' && i.expiresAt < nowSec))
      .map(entryOf);
    const last = items.at(-1);
    return { entries, next: more && last ? Number(last.seq) : null };
  }
}

const entryOf = (item: Record<string, unknown>): HistoryEntry => ({
  seq: Number(item.seq),
  frame: String(item.frame),
  ...(typeof item.at === 'number' ? { at: item.at } : {}),
});
