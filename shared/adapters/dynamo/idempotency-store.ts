import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { IdempotencyClaim, IdempotencyStore } from '../../core/ports';
import { isConditionalCheckFailed } from './client';
import { keys } from './table';

const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

/**
 *   idem#{key} / idem   state (pending | done), id, fingerprint, createdAt, result once done; 24 h TTL
 *
 * The claim is one conditional put: it succeeds where there is no record, an expired one, or a pending one
 * older than `staleAfterMs` (its owner died); a `done` record is only ever replaced once it expired.
 */
export class DynamoIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim<T>(
    key: string,
    claim: { id: string; fingerprint: string; now: number; staleAfterMs: number },
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
              fingerprint: claim.fingerprint,
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
      const base = {
        claimed: false as const,
        id: String(Item.id),
        createdAt: Number(Item.createdAt),
        fingerprint: typeof Item.fingerprint === 'string' ? Item.fingerprint : undefined,
      };
      return Item.state === 'done'
        ? { ...base, state: 'done', result: Item.result as T }
        : { ...base, state: 'pending' };
    }
    throw new Error(`idempotency key ${key} kept changing`);
  }

  async complete<T>(key: string, result: T, now: number): Promise<void> {
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

  async release(key: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: keys.idempotency(key) }));
  }
}
