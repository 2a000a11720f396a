import type { LivePushConfig, LivePushSettings, LivePushStore } from '../../features/live-stats/store';
import { isConditionalCheckFailed } from './client';
import { type DocumentClient, GetCommand, PutCommand, UpdateCommand } from './document-client';
import { keys } from './table';

/**
 *   config#live-push / config          enabled, channel, intervalSeconds, generation, startedAt
 *   live-push#{generation} / slot#{n}  one claimed slot (conditional put), expiresAt
 */
export class DynamoLivePushStore implements LivePushStore {
  constructor(
    private readonly db: DocumentClient,
    private readonly tableName: string,
  ) {}

  async read(): Promise<LivePushConfig | null> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.livePushConfig(), ConsistentRead: true }),
    );
    return Item ? toConfig(Item) : null;
  }

  async start(settings: LivePushSettings, now: number): Promise<LivePushConfig> {
    // ADD makes concurrent starts get distinct generations, so their slots never collide.
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.livePushConfig(),
        UpdateExpression:
          'SET enabled = :on, channel = :channel, intervalSeconds = :interval, startedAt = :now, updatedAt = :now ADD generation :one',
        ExpressionAttributeValues: {
          ':on': true,
          ':channel': settings.channel,
          ':interval': settings.intervalSeconds,
          ':now': now,
          ':one': 1,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toConfig(Attributes ?? {});
  }

  async stop(now: number): Promise<LivePushConfig | null> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.livePushConfig(),
          UpdateExpression: 'SET enabled = :off, updatedAt = :now',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':off': false, ':now': now },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toConfig(Attributes ?? {});
    } catch (error) {
      if (isConditionalCheckFailed(error)) return null;
      throw error;
    }
  }

  async claimSlot(generation: number, slot: number, expiresAt: number): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.livePushSlot(generation, slot), expiresAt },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}

const toConfig = (item: Record<string, unknown>): LivePushConfig => ({
  enabled: item.enabled === true,
  channel: String(item.channel ?? 'live'),
  intervalSeconds: Number(item.intervalSeconds ?? 5),
  generation: Number(item.generation ?? 0),
  startedAt: Number(item.startedAt ?? 0),
});
