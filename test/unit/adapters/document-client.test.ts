import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { convertToAttr, convertToNative } from '@aws-sdk/util-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsServiceError } from '../../../shared/adapters/aws/http';
import { createDocumentClient, isConditionalCheckFailed } from '../../../shared/adapters/dynamo/client';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  type DocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '../../../shared/adapters/dynamo/document-client';
import {
  type AttributeValue,
  marshallItem,
  toAttribute,
  toNative,
  unmarshallItem,
} from '../../../shared/adapters/dynamo/marshall';

/** lib-dynamodb's conversion with our client's options (binary shown as the base64 the wire carries). */
const sdkAttribute = (value: unknown): unknown =>
  JSON.parse(
    JSON.stringify(convertToAttr(value, { removeUndefinedValues: true }), (_, v) =>
      v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v,
    ),
  );

const bytes = (...b: number[]) => new Uint8Array(b);

const everyType = {
  s: 'hé',
  empty: '',
  n: 42,
  negative: -1.5,
  tiny: 1e-7,
  big: 12345678901234567890n,
  yes: true,
  no: false,
  nothing: null,
  list: [1, 'two', null, [3], { four: 4 }],
  map: { nested: { deeper: { x: 'y', n: 0 } }, flags: [true] },
  strings: new Set(['a', 'b']),
  numbers: new Set([1, 2.5, -3]),
  binary: bytes(0, 1, 254, 255),
  binaries: new Set([bytes(1), bytes(2, 3)]),
};

describe('marshalling, as lib-dynamodb with removeUndefinedValues', () => {
  it('converts every type exactly as the SDK does', () => {
    for (const [name, value] of Object.entries(everyType)) {
      expect({ name, av: toAttribute(value) }).toEqual({ name, av: sdkAttribute(value) });
    }
    expect(toAttribute('hé')).toEqual({ S: 'hé' });
    expect(toAttribute(42)).toEqual({ N: '42' });
    expect(toAttribute(bytes(0, 1, 254, 255))).toEqual({ B: 'AAH+/w==' });
    expect(toAttribute(Buffer.from('hi'))).toEqual({ B: 'aGk=' });
    expect(toAttribute(new Set(['a']))).toEqual({ SS: ['a'] });
    expect(toAttribute(new Set([7]))).toEqual({ NS: ['7'] });
    expect(toAttribute(new Map([['k', 1]]))).toEqual({ M: { k: { N: '1' } } });
  });

  it('round-trips an item of every type (Sets back to Sets, binary to Uint8Array, big N to bigint)', () => {
    const wire = JSON.parse(JSON.stringify(marshallItem(everyType)));
    const back = unmarshallItem(wire);
    expect(back).toEqual(everyType);
    expect(back.strings).toBeInstanceOf(Set);
    expect(back.numbers).toEqual(new Set([1, 2.5, -3]));
    expect(back.binary).toBeInstanceOf(Uint8Array);
    expect(typeof back.big).toBe('bigint');
    // The SDK reads the same attribute values to the same natives.
    for (const [name, av] of Object.entries(wire as Record<string, AttributeValue>)) {
      const sdk = convertToNative(
        JSON.parse(JSON.stringify(av), (k, v) => (k === 'B' ? Buffer.from(v, 'base64') : v)),
      );
      // B, BS: the SDK keeps whatever the protocol layer decoded (here a Buffer); ours is a Uint8Array, above.
      if (name === 'binary' || name === 'binaries') continue;
      expect({ name, native: toNative(av) }).toEqual({ name, native: sdk });
    }
  });

  it('leaves out undefined values and functions at every level', () => {
    const item = {
      keep: 1,
      gone: undefined,
      fn: () => 1,
      map: { a: undefined, b: 'x' },
      list: [undefined, 1, undefined],
      set: new Set(['a', undefined]),
    };
    expect(marshallItem(item)).toEqual({
      keep: { N: '1' },
      map: { M: { b: { S: 'x' } } },
      list: { L: [{ N: '1' }] },
      set: { SS: ['a'] },
    });
    const { keep, map, list, set } = item;
    expect(toAttribute({ keep, map, list, set })).toEqual(sdkAttribute({ keep, map, list, set }));
  });

  it.each([
    ['NaN', Number.NaN, 'Special numeric value NaN is not allowed'],
    ['Infinity', Number.POSITIVE_INFINITY, 'Special numeric value Infinity is not allowed'],
    ['-Infinity', Number.NEGATIVE_INFINITY, 'Special numeric value -Infinity is not allowed'],
    ['2^53', 2 ** 53, 'Number 9007199254740992 is greater than Number.MAX_SAFE_INTEGER'],
    ['-2^53', -(2 ** 53), 'Number -9007199254740992 is lesser than Number.MIN_SAFE_INTEGER'],
    ['an empty set', new Set(), 'Pass a non-empty set'],
    [
      'a set of objects',
      new Set([{}]),
      'Only Number Set (NS), Binary Set (BS) or String Set (SS) are allowed.',
    ],
    ['a class instance', new Date(0), 'Unsupported type passed'],
  ])('rejects %s, as the SDK does', (_, value, message) => {
    expect(() => toAttribute(value)).toThrow(message);
    expect(() => convertToAttr(value, { removeUndefinedValues: true })).toThrow();
    expect(() => marshallItem({ nested: { value } })).toThrow(message);
  });

  it('rejects undefined itself (inside an item it is left out)', () => {
    expect(() => toAttribute(undefined)).toThrow('Pass options.removeUndefinedValues=true');
    expect(() => convertToAttr(undefined, { removeUndefinedValues: true })).toThrow();
  });

  it('reads numbers as the SDK does: beyond the safe integers a bigint, else a number', () => {
    for (const n of ['0', '-0.25', '9007199254740991', '90071992547409921', '-90071992547409921', '1e400']) {
      expect(toNative({ N: n })).toEqual(convertToNative({ N: n }));
    }
    expect(toNative({ N: '90071992547409921' })).toBe(90071992547409921n);
    expect(toNative({ NS: ['1', '2'] })).toEqual(new Set([1, 2]));
    expect(toNative({ NULL: true })).toBeNull();
    expect(() => toNative({} as AttributeValue)).toThrow('No value defined');
  });
});

type Answer = { status: number; body: object };

/** A loopback DynamoDB that answers each request with the next answer and records what it got. */
async function fakeDynamo(answers: Answer[]) {
  const seen: { target: string; body: Record<string, unknown>; authorization: string }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        target: String(req.headers['x-amz-target']),
        body: JSON.parse(Buffer.concat(chunks).toString()),
        authorization: String(req.headers.authorization),
      });
      const answer = answers.shift() ?? { status: 500, body: {} };
      res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const db = createDocumentClient({ region: 'eu-west-1', endpoint: `http://127.0.0.1:${port}` });
  cleanup.push(() => {
    db.destroy();
    server.close();
  });
  return { db, seen };
}

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

const ok = (body: object): Answer => ({ status: 200, body });

describe('DocumentClient on the wire', () => {
  it('sends each command as its DynamoDB operation, items marshalled, other fields as given', async () => {
    const { db, seen } = await fakeDynamo([ok({}), ok({}), ok({}), ok({}), ok({}), ok({}), ok({})]);
    const send = (c: Parameters<DocumentClient['send']>[0]) => db.send(c);
    await send(new GetCommand({ TableName: 't', Key: { pk: 'a', sk: 'b' }, ConsistentRead: true }));
    await send(
      new PutCommand({
        TableName: 't',
        Item: { pk: 'a', sk: 'b', tags: new Set(['x']), gone: undefined },
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    await send(
      new UpdateCommand({
        TableName: 't',
        Key: { pk: 'a', sk: 'b' },
        UpdateExpression: 'ADD n :one',
        ExpressionAttributeValues: { ':one': 1, ':unused': undefined },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    await send(new DeleteCommand({ TableName: 't', Key: { pk: 'a', sk: 'b' }, ReturnValues: 'ALL_OLD' }));
    await send(
      new QueryCommand({
        TableName: 't',
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'a' },
        Limit: 2,
        ScanIndexForward: false,
        ExclusiveStartKey: undefined,
      }),
    );
    await send(
      new BatchGetCommand({ RequestItems: { t: { Keys: [{ pk: 'a', sk: 'b' }], ConsistentRead: true } } }),
    );
    await send(
      new BatchWriteCommand({
        RequestItems: {
          t: [
            { PutRequest: { Item: { pk: 'a', sk: 'c', n: 1 } } },
            { DeleteRequest: { Key: { pk: 'a', sk: 'd' } } },
          ],
        },
      }),
    );
    const key = { pk: { S: 'a' }, sk: { S: 'b' } };
    expect(seen.map((s) => [s.target, s.body])).toEqual([
      ['DynamoDB_20120810.GetItem', { TableName: 't', Key: key, ConsistentRead: true }],
      [
        'DynamoDB_20120810.PutItem',
        {
          TableName: 't',
          Item: { ...key, tags: { SS: ['x'] } },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnConsumedCapacity: 'TOTAL',
        },
      ],
      [
        'DynamoDB_20120810.UpdateItem',
        {
          TableName: 't',
          Key: key,
          UpdateExpression: 'ADD n :one',
          ExpressionAttributeValues: { ':one': { N: '1' } },
          ReturnValues: 'UPDATED_NEW',
        },
      ],
      ['DynamoDB_20120810.DeleteItem', { TableName: 't', Key: key, ReturnValues: 'ALL_OLD' }],
      [
        'DynamoDB_20120810.Query',
        {
          TableName: 't',
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: 'a' } },
          Limit: 2,
          ScanIndexForward: false,
        },
      ],
      ['DynamoDB_20120810.BatchGetItem', { RequestItems: { t: { Keys: [key], ConsistentRead: true } } }],
      [
        'DynamoDB_20120810.BatchWriteItem',
        {
          RequestItems: {
            t: [
              { PutRequest: { Item: { pk: { S: 'a' }, sk: { S: 'c' }, n: { N: '1' } } } },
              { DeleteRequest: { Key: { pk: { S: 'a' }, sk: { S: 'd' } } } },
            ],
          },
        },
      ],
    ]);
    // A local endpoint signs with the dummy credentials, as the SDK client did.
    expect(seen[0]!.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=local\/\d{8}\/eu-west-1\/dynamodb\//,
    );
  });

  it('unmarshals every item, key and response, and passes the rest through', async () => {
    const av = { pk: { S: 'a' }, n: { N: '3' }, set: { NS: ['1'] } };
    const native = { pk: 'a', n: 3, set: new Set([1]) };
    const capacity = { TableName: 't', CapacityUnits: 0.5 };
    const { db } = await fakeDynamo([
      ok({ Item: av, ConsumedCapacity: capacity }),
      ok({ Attributes: av }),
      ok({ Items: [av, av], Count: 2, ScannedCount: 5, LastEvaluatedKey: { pk: { S: 'a' } } }),
      ok({
        Responses: { t: [av] },
        UnprocessedKeys: { t: { Keys: [{ pk: { S: 'b' } }], ConsistentRead: true } },
        ConsumedCapacity: [capacity],
      }),
      ok({
        UnprocessedItems: {
          t: [{ PutRequest: { Item: av } }, { DeleteRequest: { Key: { pk: { S: 'c' } } } }],
        },
      }),
      ok({}),
    ]);
    expect(await db.send(new GetCommand({ TableName: 't', Key: { pk: 'a' } }))).toEqual({
      Item: native,
      ConsumedCapacity: capacity,
    });
    expect(await db.send(new UpdateCommand({ TableName: 't', Key: { pk: 'a' } }))).toEqual({
      Attributes: native,
    });
    expect(await db.send(new QueryCommand({ TableName: 't', KeyConditionExpression: 'pk = :pk' }))).toEqual({
      Items: [native, native],
      Count: 2,
      ScannedCount: 5,
      LastEvaluatedKey: { pk: 'a' },
    });
    expect(await db.send(new BatchGetCommand({ RequestItems: { t: { Keys: [{ pk: 'a' }] } } }))).toEqual({
      Responses: { t: [native] },
      UnprocessedKeys: { t: { Keys: [{ pk: 'b' }], ConsistentRead: true } },
      ConsumedCapacity: [capacity],
    });
    expect(
      await db.send(
        new BatchWriteCommand({ RequestItems: { t: [{ DeleteRequest: { Key: { pk: 'a' } } }] } }),
      ),
    ).toEqual({
      UnprocessedItems: { t: [{ PutRequest: { Item: native } }, { DeleteRequest: { Key: { pk: 'c' } } }] },
    });
    expect(await db.send(new GetCommand({ TableName: 't', Key: { pk: 'z' } }))).toEqual({});
  });

  it('throws the service error by its name; isConditionalCheckFailed knows it', async () => {
    const { db } = await fakeDynamo([
      {
        status: 400,
        body: {
          __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
          message: 'The conditional request failed',
        },
      },
    ]);
    const error = await db
      .send(
        new PutCommand({
          TableName: 't',
          Item: { pk: 'a' },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsServiceError);
    expect(error).toMatchObject({
      name: 'ConditionalCheckFailedException',
      message: 'The conditional request failed',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    expect(isConditionalCheckFailed(error)).toBe(true);
  });

  it('rejects what it cannot marshal without sending anything', async () => {
    const { db, seen } = await fakeDynamo([]);
    await expect(
      db.send(new PutCommand({ TableName: 't', Item: { pk: 'a', n: Number.NaN } })),
    ).rejects.toThrow('Special numeric value NaN is not allowed');
    await expect(
      db.send(new PutCommand({ TableName: 't', Item: { pk: 'a', s: new Set() } })),
    ).rejects.toThrow('Pass a non-empty set');
    expect(seen).toHaveLength(0);
  });
});
