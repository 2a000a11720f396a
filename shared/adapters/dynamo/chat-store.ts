import type { Clock } from '../../core/ports';
import type { Chat, ChatStore } from '../../features/chat/store';
import { batchWrite } from './batch-write';
import { isConditionalCheckFailed } from './client';
import { type DocumentClient, GetCommand, PutCommand, QueryCommand } from './document-client';
import { keys } from './table';

const MEMBER_PREFIX = 'member#';

/**
 *   chat#{id} / meta          the chat: createdAt, createdBy
 *   chat#{id} / member#{sub}  one participant (isParticipant reads this one item)
 * One partition per chat: reading a chat is one Query; no Scan, no transaction.
 */
export class DynamoChatStore implements ChatStore {
  constructor(
    private readonly db: DocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  async create(chat: Chat): Promise<void> {
    const members = chat.participants.map((userId) => ({
      PutRequest: {
        Item: {
          ...keys.chatMember(chat.id, userId),
          userId,
          addedAt: chat.createdAt,
          addedBy: chat.createdBy,
        },
      },
    }));
    await batchWrite(this.db, this.tableName, members, this.clock);
    // The record last: a chat whose record exists has all its first participants.
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.chatMeta(chat.id),
          id: chat.id,
          createdAt: chat.createdAt,
          createdBy: chat.createdBy,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async isParticipant(chatId: string, userId: string): Promise<boolean> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.chatMember(chatId, userId),
        ConsistentRead: true,
      }),
    );
    return Item !== undefined;
  }

  async get(chatId: string): Promise<Chat | null> {
    let meta: Record<string, unknown> | undefined;
    const participants: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': keys.chatPartition(chatId) },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      start = page.LastEvaluatedKey;
      for (const item of page.Items ?? []) {
        const sk = String(item.sk);
        if (sk === 'meta') meta = item;
        else if (sk.startsWith(MEMBER_PREFIX)) participants.push(sk.slice(MEMBER_PREFIX.length));
      }
    } while (start);
    if (!meta) return null;
    return {
      id: chatId,
      participants: participants.sort(),
      createdAt: Number(meta.createdAt),
      createdBy: String(meta.createdBy),
    };
  }

  async addParticipant(chatId: string, userId: string, addedBy: string, now: number): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.chatMember(chatId, userId), userId, addedAt: now, addedBy },
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
