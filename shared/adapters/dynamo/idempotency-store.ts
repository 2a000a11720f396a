import type { IdempotencyClaim, IdempotencyStore } from '../../core/ports';
import { isConditionalCheckFailed } from './client';
import { DeleteCommand, type DocumentClient, GetCommand, PutCommand, UpdateCommand } from './document-client';
import { keys } from './table';

const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

/**
 *   idem#{key} / idem   state (pending | done), id, fingerprint, owner (the attempt at work), createdAt (when
 *                       that owner claimed it), startedAt (when the first did), seqs (channel → seq its
 *                       owners reserved), result once done; 24 h TTL
 *
 * A claim is a conditional put where there is no record (or an expired one); a pending record older than
 * `staleAfterMs` with the same fingerprint is taken over by a conditional update of its owner, which keeps
 * its id and reservations, and succeeds for one caller only. A `done` record is only ever replaced once it
 * expired. Every later write of an owner is conditional on still being the owner.
 */
export class DynamoIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly db: DocumentClient,
    private readonly tableName: string,
  ) {}

  async claim<T>(
    key: string,
    claim: { id: string; fingerprint: string; owner: string; now: number; staleAfterMs: number },
  ): Promise<IdempotencyClaim<T>> {
    const nowSec = Math.floor(claim.now / 1000);
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
              owner: claim.owner,
              createdAt: claim.now,
              startedAt: claim.now,
              seqs: {},
              expiresAt: nowSec + IDEMPOTENCY_TTL_SECONDS,
            },
            // Expired records may linger until DynamoDB's TTL gets to them: they count as absent.
            ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :nowSec',
            ExpressionAttributeValues: { ':nowSec': nowSec },
          }),
        );
        return { claimed: true, id: claim.id, startedAt: claim.now, reserved: {} };
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
      if (Item.state === 'done') return { ...base, state: 'done', result: Item.result as T };
      const stale = base.createdAt < claim.now - claim.staleAfterMs;
      const sameRequest = base.fingerprint === undefined || base.fingerprint === claim.fingerprint;
      if (!stale || !sameRequest) return { ...base, state: 'pending' };
      if (await this.takeOver(key, Item, claim)) {
        const startedAt = typeof Item.startedAt === 'number' ? Item.startedAt : base.createdAt;
        return { claimed: true, id: base.id, startedAt, reserved: reservationsOf(Item.seqs) };
      }
      // Another caller took it over (or it changed) between our read and our update: read it again.
    }
    throw new Error(`idempotency key ${key} kept changing`);
  }

  /** The dead owner's record becomes the caller's, exactly as it was read (so one caller wins). */
  private async takeOver(
    key: string,
    seen: Record<string, unknown>,
    claim: { owner: string; now: number },
  ): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.idempotency(key),
          // A record from before reservations were kept gets the map reserve() writes into.
          UpdateExpression: 'SET #owner = :me, createdAt = :now, seqs = if_not_exists(seqs, :none)',
          ConditionExpression:
            seen.owner === undefined
              ? '#state = :pending AND createdAt = :seenAt AND attribute_not_exists(#owner)'
              : '#state = :pending AND createdAt = :seenAt AND #owner = :seenOwner',
          ExpressionAttributeNames: { '#owner': 'owner', '#state': 'state' },
          ExpressionAttributeValues: {
            ':me': claim.owner,
            ':now': claim.now,
            ':pending': 'pending',
            ':none': {},
            ':seenAt': seen.createdAt,
            ...(seen.owner === undefined ? {} : { ':seenOwner': seen.owner }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async reserve(key: string, owner: string, channel: string, seq: number): Promise<boolean> {
    return this.ifOwner(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.idempotency(key),
        UpdateExpression: 'SET seqs.#channel = :seq',
        ConditionExpression: '#owner = :me AND #state = :pending',
        ExpressionAttributeNames: { '#channel': channel, '#owner': 'owner', '#state': 'state' },
        ExpressionAttributeValues: { ':seq': seq, ':me': owner, ':pending': 'pending' },
      }),
    );
  }

  async complete<T>(key: string, owner: string, result: T, now: number): Promise<boolean> {
    return this.ifOwner(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.idempotency(key),
        UpdateExpression: 'SET #state = :done, #result = :r, completedAt = :now',
        ConditionExpression: '#owner = :me',
        ExpressionAttributeNames: { '#state': 'state', '#result': 'result', '#owner': 'owner' },
        ExpressionAttributeValues: { ':done': 'done', ':r': result, ':now': now, ':me': owner },
      }),
    );
  }

  async release(key: string, owner: string): Promise<void> {
    const deleted = await this.ifOwner(
      new DeleteCommand({
        TableName: this.tableName,
        Key: keys.idempotency(key),
        ConditionExpression: '#owner = :me AND (attribute_not_exists(seqs) OR size(seqs) = :none)',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':me': owner, ':none': 0 },
      }),
    );
    if (deleted) return;
    // Seqs were reserved: the record stays for the next attempt, which may take it over at once.
    await this.ifOwner(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.idempotency(key),
        UpdateExpression: 'SET createdAt = :long_ago',
        ConditionExpression: '#owner = :me AND #state = :pending',
        ExpressionAttributeNames: { '#owner': 'owner', '#state': 'state' },
        ExpressionAttributeValues: { ':me': owner, ':pending': 'pending', ':long_ago': 0 },
      }),
    );
  }

  /** Sends a write conditional on ownership: false when the condition failed. */
  private async ifOwner(command: UpdateCommand | DeleteCommand): Promise<boolean> {
    try {
      await this.db.send(command);
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}

function reservationsOf(value: unknown): Record<string, number> {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(
    Object.entries(value).filter((e): e is [string, number] => typeof e[1] === 'number'),
  );
}
