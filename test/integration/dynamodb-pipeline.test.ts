import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDynamoClient, ensureTable } from '../../local/dynamodb';
import { createDocumentClient } from '../../shared/adapters/dynamo/client';
import {
  type DocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '../../shared/adapters/dynamo/document-client';

/**
 * The local stack's handlers pipeline their DynamoDB requests (DYNAMODB_PIPELINE, local/index.ts): up to 32
 * on one socket, answered in order. Here a pipelined client talks to DynamoDB Local through a TCP relay
 * that counts the sockets and the requests each chunk carries, with ADDs, conditions that fail and reads
 * all in flight at once: each request must get its own answer (an ADD's new value is unique), the errors
 * their own request's, and nothing be applied twice or lost.
 */
const endpoint = inject('dynamodbEndpoint');
const region = 'us-east-1';
const table = `pipeline-${process.pid}-${Date.now()}`;
const admin = createDynamoClient(endpoint, region);

let relay: Server;
let relayUrl: string;
const seen = { sockets: 0, requests: 0, mostInOneChunk: 0 };
let db: DocumentClient;

beforeAll(async () => {
  await ensureTable(admin, table);
  const target = new URL(endpoint);
  relay = createServer((client: Socket) => {
    seen.sockets++;
    const upstream = tcpConnect(Number(target.port), target.hostname);
    client.on('data', (chunk: Buffer) => {
      const n = chunk.toString('latin1').split('POST / HTTP/1.1\r\n').length - 1;
      seen.requests += n;
      seen.mostInOneChunk = Math.max(seen.mostInOneChunk, n);
      upstream.write(chunk);
    });
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((ok) => relay.listen(0, '127.0.0.1', ok));
  const address = relay.address();
  if (!address || typeof address === 'string') throw new Error('the relay has no port');
  relayUrl = `http://127.0.0.1:${address.port}`;
  db = createDocumentClient({ region, endpoint: relayUrl, pipeline: 32 });
});

afterAll(async () => {
  db?.destroy();
  await new Promise<void>((ok) => relay.close(() => ok()));
  await admin.send(new DeleteTableCommand({ TableName: table }));
  admin.destroy();
});

describe('DynamoDB Local, pipelined requests', () => {
  it('answers each of 200 requests in flight at once with its own answer, in order', async () => {
    const ADDS = 120;
    const counter = { pk: 'count', sk: 'count' };
    // Items 0–39 exist before; the burst puts 0–79 only where absent: 40 fail, 40 succeed.
    for (let i = 0; i < 40; i++) {
      await db.send(new PutCommand({ TableName: table, Item: { pk: 'item', sk: `i${i}`, v: 'before' } }));
    }
    const requestsBefore = seen.requests;
    const adds = Array.from({ length: ADDS }, () =>
      db.send(
        new UpdateCommand({
          TableName: table,
          Key: counter,
          UpdateExpression: 'ADD cnt :one',
          ExpressionAttributeValues: { ':one': 1 },
          ReturnValues: 'UPDATED_NEW',
        }),
      ),
    );
    const puts = Array.from({ length: 80 }, (_, i) =>
      db
        .send(
          new PutCommand({
            TableName: table,
            Item: { pk: 'item', sk: `i${i}`, v: 'burst' },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        )
        .then(
          () => 'stored',
          (error: Error) => error.name,
        ),
    );
    const [added, put] = await Promise.all([Promise.all(adds), Promise.all(puts)]);

    // Every ADD answered with a value of its own: 1..120, each once.
    const values = added.map((out) => Number(out.Attributes?.cnt)).sort((a, b) => a - b);
    expect(values).toEqual(Array.from({ length: ADDS }, (_, i) => i + 1));
    // Each conditional put got its own outcome.
    expect(put.slice(0, 40)).toEqual(Array(40).fill('ConditionalCheckFailedException'));
    expect(put.slice(40)).toEqual(Array(40).fill('stored'));
    const stored = await Promise.all(
      Array.from({ length: 80 }, (_, i) =>
        db.send(new GetCommand({ TableName: table, Key: { pk: 'item', sk: `i${i}` }, ConsistentRead: true })),
      ),
    );
    expect(stored.map((o) => o.Item?.v)).toEqual([...Array(40).fill('before'), ...Array(40).fill('burst')]);
    const total = await db.send(new GetCommand({ TableName: table, Key: counter, ConsistentRead: true }));
    expect(total.Item?.cnt).toBe(ADDS);

    // It was pipelined: 200 requests on a few sockets, many to a chunk; none sent twice.
    expect(seen.requests - requestsBefore).toBe(200 + 80 + 1);
    expect(seen.sockets).toBeLessThanOrEqual(8);
    expect(seen.mostInOneChunk).toBeGreaterThan(1);
  });
});
