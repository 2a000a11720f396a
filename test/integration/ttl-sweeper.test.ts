import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LocalStack } from '../../local/index';
import { createDocumentClient } from '../../shared/adapters/dynamo/client';
import { GetCommand, PutCommand } from '../../shared/adapters/dynamo/document-client';
import { unique } from './support/client';
import { startTestStack } from './support/stack';

const db = createDocumentClient({ region: 'us-east-1', endpoint: inject('dynamodbEndpoint') });
const TableName = inject('tableName');
let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack({ sweepIntervalMs: 0 });
});
afterAll(async () => {
  await stack.stop();
  db.destroy();
});

describe('the TTL sweeper', () => {
  it('deletes the items whose expiresAt is past, and only those, as DynamoDB TTL does', async () => {
    const now = Math.floor(Date.now() / 1000);
    const pk = unique('ttl#');
    const items = {
      expired: { expiresAt: now - 10 },
      future: { expiresAt: now + 3600 },
      noTtl: {},
      notANumber: { expiresAt: String(now - 10) },
      // DynamoDB's TTL ignores times more than five years in the past.
      ancient: { expiresAt: now - 6 * 365 * 24 * 3600 },
    };
    for (const [sk, attrs] of Object.entries(items)) {
      await db.send(new PutCommand({ TableName, Item: { pk, sk, ...attrs } }));
    }

    expect(await stack.sweepNow()).toBeGreaterThanOrEqual(1);

    const left: string[] = [];
    for (const sk of Object.keys(items)) {
      const { Item } = await db.send(new GetCommand({ TableName, Key: { pk, sk }, ConsistentRead: true }));
      if (Item) left.push(sk);
    }
    expect(left).toEqual(['future', 'noTtl', 'notANumber', 'ancient']);
  });
});
