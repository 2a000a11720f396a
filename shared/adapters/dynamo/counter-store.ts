import type { CounterChange, CounterState, CounterStore } from '../../features/counters/store';
import { type DocumentClient, GetCommand, UpdateCommand } from './document-client';
import { keys } from './table';

/**
 *   counter#{name} / value   total, version, updatedAt
 * Every change is ONE UpdateItem that changes the total and ADDs 1 to the version, returning both (ALL_NEW):
 * concurrent changes never lose one, and each gets the exact total after it and a version that orders it.
 */
export class DynamoCounterStore implements CounterStore {
  constructor(
    private readonly db: DocumentClient,
    private readonly tableName: string,
  ) {}

  async apply(name: string, change: CounterChange, now: number): Promise<CounterState> {
    const update =
      change.action === 'reset'
        ? {
            UpdateExpression: 'SET #total = :zero, updatedAt = :now ADD #version :one',
            values: { ':zero': 0 },
          }
        : {
            UpdateExpression: 'ADD #total :delta, #version :one SET updatedAt = :now',
            values: { ':delta': change.action === 'increment' ? change.value : -change.value },
          };
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.counter(name),
        UpdateExpression: update.UpdateExpression,
        ExpressionAttributeNames: { '#total': 'total', '#version': 'version' },
        ExpressionAttributeValues: { ...update.values, ':one': 1, ':now': now },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toState(Attributes);
  }

  async read(name: string): Promise<CounterState> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.counter(name), ConsistentRead: true }),
    );
    return toState(Item);
  }
}

const toState = (item: Record<string, unknown> | undefined): CounterState => ({
  total: Number(item?.total ?? 0),
  version: Number(item?.version ?? 0),
});
