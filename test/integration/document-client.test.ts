import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import * as sdk from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDynamoClient, createLocalDocumentClient, ensureTable } from '../../local/dynamodb';
import { createDocumentClient } from '../../shared/adapters/dynamo/client';
import * as ours from '../../shared/adapters/dynamo/document-client';

/**
 * Our document client against the SDK's (lib-dynamodb, removeUndefinedValues) on DynamoDB Local: the same
 * requests, each client on a table of its own, and every output compared field by field ($metadata aside,
 * the table's name written as `<table>`): all seven operations, conditions met and failed (the error by its
 * name), pagination with Limit and LastEvaluatedKey, batches, ReturnValues, ReturnConsumedCapacity, and
 * every attribute type back as the SDK gives it.
 */
const endpoint = inject('dynamodbEndpoint');
const region = 'us-east-1';
const run = `${process.pid}-${Date.now()}`;
const tables = { ours: `doc-ours-${run}`, sdk: `doc-sdk-${run}` };
const admin = createDynamoClient(endpoint, region);
const ourClient = createDocumentClient({ region, endpoint });
const sdkClient = createLocalDocumentClient(endpoint, region);

type Op = 'Get' | 'Put' | 'Update' | 'Delete' | 'Query' | 'BatchGet' | 'BatchWrite';
type Step = [name: string, op: Op, input: (table: string) => object];

const allTypes = {
  s: 'hé ✓',
  n: 42,
  decimal: -0.125,
  big: 12345678901234567890n,
  yes: true,
  nothing: null,
  list: [1, 'two', null, [false], { three: 3 }],
  map: { nested: { deeper: 'x' }, skipped: undefined },
  tags: new Set(['a', 'b']),
  scores: new Set([1, 2.5]),
  bytes: new Uint8Array([0, 1, 254, 255]),
  blobs: new Set([new Uint8Array([1]), new Uint8Array([2, 3])]),
  gone: undefined,
};
const key = (sk: string) => ({ pk: 'p', sk });
const TOTAL = 'TOTAL' as const;

const steps: Step[] = [
  [
    'Put, every attribute type',
    'Put',
    (t) => ({ TableName: t, Item: { ...key('all'), ...allTypes }, ReturnConsumedCapacity: TOTAL }),
  ],
  [
    'Get it back, consistently',
    'Get',
    (t) => ({ TableName: t, Key: key('all'), ConsistentRead: true, ReturnConsumedCapacity: TOTAL }),
  ],
  [
    'Put with a condition that fails',
    'Put',
    (t) => ({ TableName: t, Item: { ...key('all') }, ConditionExpression: 'attribute_not_exists(pk)' }),
  ],
  [
    'Update with a condition that holds, ALL_NEW',
    'Update',
    (t) => ({
      TableName: t,
      Key: key('all'),
      UpdateExpression: 'ADD n :one, tags :t SET #s = :s REMOVE blobs',
      ConditionExpression: 'attribute_exists(pk) AND n = :n',
      ExpressionAttributeNames: { '#s': 's' },
      ExpressionAttributeValues: {
        ':one': 1,
        ':t': new Set(['c']),
        ':s': 'new',
        ':n': 42,
        ':unused': undefined,
      },
      ReturnValues: 'ALL_NEW',
      ReturnConsumedCapacity: TOTAL,
    }),
  ],
  [
    'Update, UPDATED_OLD',
    'Update',
    (t) => ({
      TableName: t,
      Key: key('all'),
      UpdateExpression: 'SET decimal = :d',
      ExpressionAttributeValues: { ':d': 7 },
      ReturnValues: 'UPDATED_OLD',
    }),
  ],
  [
    'Update with a condition that fails',
    'Update',
    (t) => ({
      TableName: t,
      Key: key('missing'),
      UpdateExpression: 'SET x = :x',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':x': 1 },
    }),
  ],
  [
    'BatchWrite five puts and a delete',
    'BatchWrite',
    (t) => ({
      RequestItems: {
        [t]: [
          ...[1, 2, 3, 4, 5].map((i) => ({
            PutRequest: { Item: { pk: 'q', sk: `0${i}`, i, odd: i % 2 === 1 } },
          })),
          { DeleteRequest: { Key: key('never-there') } },
        ],
      },
      ReturnConsumedCapacity: TOTAL,
    }),
  ],
  [
    'Query, page 1 (Limit 2)',
    'Query',
    (t) => ({
      TableName: t,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': 'q' },
      Limit: 2,
    }),
  ],
  [
    'Query, page 2 (from LastEvaluatedKey)',
    'Query',
    (t) => ({
      TableName: t,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': 'q' },
      Limit: 2,
      ExclusiveStartKey: { pk: 'q', sk: '02' },
      ReturnConsumedCapacity: TOTAL,
    }),
  ],
  [
    'Query backwards, filtered and projected',
    'Query',
    (t) => ({
      TableName: t,
      KeyConditionExpression: 'pk = :pk AND sk > :from',
      FilterExpression: 'odd = :yes',
      ProjectionExpression: '#i, sk',
      ExpressionAttributeNames: { '#i': 'i' },
      ExpressionAttributeValues: { ':pk': 'q', ':from': '01', ':yes': true },
      ScanIndexForward: false,
      ConsistentRead: true,
    }),
  ],
  [
    'BatchGet, one key missing',
    'BatchGet',
    (t) => ({
      RequestItems: {
        [t]: { Keys: [key('all'), { pk: 'q', sk: '03' }, { pk: 'q', sk: '99' }], ConsistentRead: true },
      },
      ReturnConsumedCapacity: TOTAL,
    }),
  ],
  [
    'Delete, ALL_OLD',
    'Delete',
    (t) => ({ TableName: t, Key: { pk: 'q', sk: '05' }, ReturnValues: 'ALL_OLD' }),
  ],
  [
    'Delete with a condition that fails',
    'Delete',
    (t) => ({
      TableName: t,
      Key: { pk: 'q', sk: '05' },
      ConditionExpression: 'attribute_exists(pk)',
      ReturnConsumedCapacity: TOTAL,
    }),
  ],
  ['Get a missing item', 'Get', (t) => ({ TableName: t, Key: key('missing') })],
  [
    'A bad expression (ValidationException)',
    'Query',
    (t) => ({ TableName: t, KeyConditionExpression: 'pk = ', ExpressionAttributeValues: { ':pk': 'q' } }),
  ],
  ['NaN (refused before sending)', 'Put', (t) => ({ TableName: t, Item: { ...key('nan'), n: Number.NaN } })],
];

type Outcome = { output: unknown } | { error: { name: string; message: string } };

const classes = {
  ours: {
    Get: ours.GetCommand,
    Put: ours.PutCommand,
    Update: ours.UpdateCommand,
    Delete: ours.DeleteCommand,
    Query: ours.QueryCommand,
    BatchGet: ours.BatchGetCommand,
    BatchWrite: ours.BatchWriteCommand,
  },
  sdk: {
    Get: sdk.GetCommand,
    Put: sdk.PutCommand,
    Update: sdk.UpdateCommand,
    Delete: sdk.DeleteCommand,
    Query: sdk.QueryCommand,
    BatchGet: sdk.BatchGetCommand,
    BatchWrite: sdk.BatchWriteCommand,
  },
};

async function scenario(which: 'ours' | 'sdk'): Promise<Outcome[]> {
  const table = tables[which];
  const out: Outcome[] = [];
  for (const [, op, input] of steps) {
    const Command = classes[which][op] as new (input: object) => object;
    const send = (which === 'ours' ? ourClient.send : sdkClient.send).bind(
      which === 'ours' ? ourClient : sdkClient,
    ) as (c: object) => Promise<Record<string, unknown>>;
    try {
      const { $metadata: _, ...output } = await send(new Command(input(table)));
      out.push({ output: normalize(output, table) });
    } catch (e) {
      const error = e as Error;
      out.push({ error: { name: error.name, message: error.message.replace(/\. Use .*$/, '') } });
    }
  }
  return out;
}

/** The table's name as `<table>` wherever it appears (keys of RequestItems/Responses, ConsumedCapacity). */
function normalize(value: unknown, table: string): unknown {
  if (value === table) return '<table>';
  if (Array.isArray(value)) return value.map((v) => normalize(v, table));
  if (value instanceof Set) return new Set([...value].map((v) => normalize(v, table)));
  if (value && typeof value === 'object' && value.constructor === Object) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k === table ? '<table>' : k, normalize(v, table)]),
    );
  }
  return value;
}

/** BatchGetItem answers in no particular order: by sort key. */
const bySortKey = (items: unknown) =>
  [...(items as { sk: string }[])].sort((a, b) => (a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0));

let results: { ours: Outcome[]; sdk: Outcome[] };

beforeAll(async () => {
  await Promise.all([ensureTable(admin, tables.ours), ensureTable(admin, tables.sdk)]);
  results = { ours: await scenario('ours'), sdk: await scenario('sdk') };
});

afterAll(async () => {
  await Promise.allSettled(
    Object.values(tables).map((TableName) => admin.send(new DeleteTableCommand({ TableName }))),
  );
  ourClient.destroy();
  sdkClient.destroy();
  admin.destroy();
});

describe('our document client and the SDK’s, on DynamoDB Local', () => {
  it.each(steps.map(([name], i) => [name, i] as const))('%s: the same outcome', (_, i) => {
    const [mine, theirs] = [results.ours[i]!, results.sdk[i]!];
    if ('output' in theirs && 'output' in mine) {
      const a = mine.output as { Responses?: Record<string, unknown> };
      const b = theirs.output as { Responses?: Record<string, unknown> };
      if (a.Responses && b.Responses) {
        a.Responses['<table>'] = bySortKey(a.Responses['<table>']);
        b.Responses['<table>'] = bySortKey(b.Responses['<table>']);
      }
    }
    expect(mine).toEqual(theirs);
    // Same keys too (toEqual alone lets an `undefined` field stand for a missing one).
    if ('output' in mine && 'output' in theirs) {
      expect(Object.keys(mine.output as object).sort()).toEqual(Object.keys(theirs.output as object).sort());
    }
  });

  it('got what each step was meant to show', () => {
    const at = (name: string) => results.ours[steps.findIndex(([n]) => n === name)]!;
    const output = (name: string) => (at(name) as { output: Record<string, unknown> }).output;
    expect(output('Get it back, consistently').Item).toEqual({
      ...key('all'),
      ...Object.fromEntries(Object.entries(allTypes).filter(([, v]) => v !== undefined)),
      map: { nested: { deeper: 'x' } },
    });
    expect(output('Get it back, consistently').ConsumedCapacity).toEqual({
      TableName: '<table>',
      CapacityUnits: 1,
    });
    for (const failed of [
      'Put with a condition that fails',
      'Update with a condition that fails',
      'Delete with a condition that fails',
    ]) {
      expect(at(failed)).toMatchObject({ error: { name: 'ConditionalCheckFailedException' } });
    }
    expect(output('Query, page 1 (Limit 2)')).toMatchObject({
      Count: 2,
      LastEvaluatedKey: { pk: 'q', sk: '02' },
    });
    expect(output('Query, page 2 (from LastEvaluatedKey)')).toMatchObject({
      Count: 2,
      LastEvaluatedKey: { pk: 'q', sk: '04' },
    });
    expect(output('Query backwards, filtered and projected')).toMatchObject({
      Count: 2,
      ScannedCount: 4,
      Items: [
        { i: 5, sk: '05' },
        { i: 3, sk: '03' },
      ],
    });
    expect(output('BatchGet, one key missing').UnprocessedKeys).toEqual({});
    expect(output('Delete, ALL_OLD').Attributes).toEqual({ pk: 'q', sk: '05', i: 5, odd: true });
    expect(output('Get a missing item')).toEqual({});
    expect(at('A bad expression (ValidationException)')).toMatchObject({
      error: { name: 'ValidationException' },
    });
    expect(at('NaN (refused before sending)')).toMatchObject({
      error: { message: 'Special numeric value NaN is not allowed' },
    });
  });
});
