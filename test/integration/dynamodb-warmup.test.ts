import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDynamoClient, createLocalDocumentClient, ensureTable } from '../../local/dynamodb';
import { startDynamoWarmup } from '../../local/dynamodb-warmup';

/**
 * The warm-up a start runs on the DynamoDB Local it started, while the Lambda workers load
 * (local/dynamodb-warmup.ts): it makes the requests of connects and disconnects, and leaves the table as it
 * found it.
 */
const endpoint = inject('dynamodbEndpoint');
const region = 'us-east-1';
const table = `warmup-${process.pid}-${Date.now()}`;
const admin = createDynamoClient(endpoint, region);
const documents = createLocalDocumentClient(endpoint, region);

beforeAll(async () => {
  await ensureTable(admin, table);
});

afterAll(async () => {
  await admin.send(new DeleteTableCommand({ TableName: table }));
  documents.destroy();
  admin.destroy();
});

describe('warming DynamoDB Local', () => {
  it('runs rounds until finished, then deletes everything it wrote, leaving other items alone', async () => {
    await documents.send(new PutCommand({ TableName: table, Item: { pk: 'conn#keep', sk: 'meta' } }));
    const warmup = startDynamoWarmup({ endpoint, region, tableName: table, pipeline: 4 });
    await new Promise((r) => setTimeout(r, 400));
    const report = await warmup.finish();
    expect(report.error).toBeUndefined();
    expect(report.rounds).toBeGreaterThan(16);
    // A round is 7 requests (a batch write, an ADD, a batch read, a read, a query, two deletes), and one
    // batch delete of the counts at the end.
    expect(report.requests).toBe(report.rounds * 7 + 1);
    const left = await documents.send(new ScanCommand({ TableName: table, ConsistentRead: true }));
    expect(left.Items).toEqual([{ pk: 'conn#keep', sk: 'meta' }]);
  });
});
