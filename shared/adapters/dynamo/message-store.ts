import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Clock, HistoryEntry, HistoryPage, IdempotencyClaim, MessageStore } from '../../ports';
import { isConditionalCheckFailed } from './client';
import { keys, padSeq } from './table';

const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

/**
 *   seq#{channel} / seq        the channel's last seq (atomic ADD)
 *   hist#{channel} / {seq:012} a delivered frame, as it was serialized
 *   idem#{key} / idem          an idempotency record, 24 h
 *   chat#{id} / member#{sub}   chat participants (read here, written by DynamoChatStore)
 */
export class DynamoMessageStore implements MessageStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  async nextSeq(channel: string): Promise<number> {
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.seq(channel),
        UpdateExpression: 'ADD seq :one',
        ExpressionAttributeValues: { ':one': 1 },
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

  async appendHistory(channel: string, entry: HistoryEntry, expiresAt: number | null): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.history(channel, entry.seq),
          seq: entry.seq,
          frame: entry.frame,
          ...(expiresAt === null ? {} : { expiresAt }),
        },
      }),
    );
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

  async claimIdempotency<T>(
    key: string,
    claim: { id: string; now: number; staleAfterMs: number },
  ): Promise<IdempotencyClaim<T>> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.db.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              ...keys.idempotency(key),
              state: 'pending',
              id: claim.id,
              createdAt: claim.now,
              expiresAt: Math.floor(claim.now / 1000) + IDEMPOTENCY_TTL_SECONDS,
            },
            // Expired records may linger until DynamoDB's TTL gets to them: they count as absent.
            ConditionExpression:
              'attribute_not_exists(pk) OR expiresAt < :nowSec OR (#state = :pending AND createdAt < :stale)',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: {
              ':nowSec': Math.floor(claim.now / 1000),
              ':pending': 'pending',
              ':stale': claim.now - claim.staleAfterMs,
            },
          }),
        );
        return { claimed: true };
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
      const { Item } = await this.db.send(
        new GetCommand({ TableName: this.tableName, Key: keys.idempotency(key), ConsistentRead: true }),
      );
      if (!Item) continue; // released between our put and our read: try again
      const base = { claimed: false as const, id: String(Item.id), createdAt: Number(Item.createdAt) };
      return Item.state === 'done'
        ? { ...base, state: 'done', result: Item.result as T }
        : { ...base, state: 'pending' };
    }
    throw new Error(`idempotency key ${key} kept changing`);
  }

  async completeIdempotency<T>(key: string, result: T, now: number): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.idempotency(key),
        UpdateExpression: 'SET #state = :done, #result = :r, completedAt = :now',
        ExpressionAttributeNames: { '#state': 'state', '#result': 'result' },
        ExpressionAttributeValues: { ':done': 'done', ':r': result, ':now': now },
      }),
    );
  }

  async releaseIdempotency(key: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: keys.idempotency(key) }));
  }

  /** Expired entries (TTL has not got to them yet) are left out; `next` follows the last item read. */
  private toPage(items: Record<string, unknown>[], more: boolean): HistoryPage {
    const nowSec = this.clock.now() / 1000;
    const entries = items
      .filter((i) => !(typeof i.expiresAt === 'number' && i.expiresAt < nowSec))
      .map((i) => ({ seq: Number(i.seq), frame: String(i.frame) }));
    const last = items.at(-1);
    return { entries, next: more && last ? Number(last.seq) : null };
  }

  async isChatParticipant(chatId: string, userId: string): Promise<boolean> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.chatMember(chatId, userId),
        ConsistentRead: true,
      }),
    );
    return Item !== undefined;
  }
}
