import { afterEach, describe, expect, it } from 'vitest';
import {
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '../../../shared/adapters/dynamo/document-client';
import { DynamoIotStore } from '../../../shared/adapters/dynamo/iot-store';
import { InvalidCursorError, type StoredReading } from '../../../shared/features/iot/store';
import { conditionalCheckFailed, mockDocumentClient, stubbedDocumentClient } from '../../support/dynamo-mock';
import { FakeClock } from '../../support/fakes';

const ddb = mockDocumentClient();
afterEach(() => ddb.reset());

const clock = new FakeClock();
const store = () => new DynamoIotStore(stubbedDocumentClient(), 't', clock);
const nowSec = Math.floor(clock.now() / 1000);

const reading = (i: number, sensorId = 's1'): StoredReading => ({
  sensorId,
  id: `r${String(i).padStart(4, '0')}`,
  value: i,
  timestamp: '2026-11-23T10:00:00.000Z',
  expiresAt: nowSec + 86400,
});

describe('DynamoIotStore registry', () => {
  it('reads a device consistently by its key, and null when there is none', async () => {
    ddb.on(GetCommand, { Key: { pk: 'device#d1', sk: 'meta' } }).resolves({
      Item: { pk: 'device#d1', sk: 'meta', id: 'd1', name: 'Pump', status: 'active', updatedAt: 5 },
    });
    ddb.on(GetCommand, { Key: { pk: 'device#d2', sk: 'meta' } }).resolves({});
    expect(await store().getDevice('d1')).toEqual({ id: 'd1', name: 'Pump', status: 'active', updatedAt: 5 });
    expect(await store().getDevice('d2')).toBeNull();
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toMatchObject({
      TableName: 't',
      ConsistentRead: true,
    });
  });

  it('keeps a device status it is not given (if_not_exists), and sets one it is given', async () => {
    ddb
      .on(UpdateCommand)
      .resolves({ Attributes: { id: 'd1', name: 'Pump', status: 'unknown', updatedAt: 1 } });
    await store().putDevice({ id: 'd1', name: 'Pump', now: 1 });
    await store().putDevice({ id: 'd1', name: 'Pump', status: 'active', now: 2 });
    const [keep, set] = ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(keep).toMatchObject({
      Key: { pk: 'device#d1', sk: 'meta' },
      UpdateExpression: expect.stringContaining('#status = if_not_exists(#status, :status)'),
      ExpressionAttributeValues: expect.objectContaining({ ':status': 'unknown', ':name': 'Pump' }),
      ReturnValues: 'ALL_NEW',
    });
    expect(set).toMatchObject({
      UpdateExpression: expect.stringContaining('#status = :status'),
      ExpressionAttributeValues: expect.objectContaining({ ':status': 'active' }),
    });
    expect(set?.UpdateExpression).not.toContain('if_not_exists');
  });

  it('sets a status only on a device that exists: null when the condition fails', async () => {
    ddb.on(UpdateCommand).rejects(conditionalCheckFailed('no'));
    expect(await store().setDeviceStatus('ghost', 'active', 1)).toBeNull();
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input.ConditionExpression).toBe(
      'attribute_exists(pk)',
    );
  });

  it('rethrows what it does not understand', async () => {
    ddb.on(UpdateCommand).rejects(new Error('throttled'));
    await expect(store().setDeviceStatus('d1', 'active', 1)).rejects.toThrow('throttled');
  });

  it('writes a sensor whole and reads it back', async () => {
    ddb.on(PutCommand).resolves({});
    const sensor = await store().putSensor({
      id: 's1',
      deviceId: 'd1',
      sensorType: 'ph',
      unit: 'pH',
      now: 3,
    });
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.Item).toEqual({
      pk: 'sensor#s1',
      sk: 'meta',
      ...sensor,
    });
    ddb.on(GetCommand).resolves({ Item: { pk: 'sensor#s1', sk: 'meta', ...sensor } });
    expect(await store().getSensor('s1')).toEqual({
      id: 's1',
      deviceId: 'd1',
      sensorType: 'ph',
      unit: 'pH',
      updatedAt: 3,
    });
  });
});

describe('DynamoIotStore.putReadings', () => {
  it('writes in BatchWriteItem calls of at most 25, each reading under a unique time-ordered key', async () => {
    ddb.on(BatchWriteCommand).resolves({});
    await store().putReadings(Array.from({ length: 60 }, (_, i) => reading(i)));
    const batches = ddb.commandCalls(BatchWriteCommand).map((c) => c.args[0].input.RequestItems?.t ?? []);
    expect(batches.map((b) => b.length)).toEqual([25, 25, 10]);
    const items = batches.flat().map((r) => r.PutRequest?.Item);
    expect(items[0]).toEqual({
      pk: 'reading#s1',
      sk: '2026-11-23T10:00:00.000Z#r0000',
      sensorId: 's1',
      id: 'r0000',
      value: 0,
      timestamp: '2026-11-23T10:00:00.000Z',
      expiresAt: nowSec + 86400,
    });
    expect(new Set(items.map((i) => i?.sk)).size).toBe(60);
  });

  it('writes again what DynamoDB left unprocessed, after a backoff', async () => {
    const left = [{ PutRequest: { Item: { pk: 'reading#s1', sk: 'x#r1' } } }];
    ddb
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { t: left } })
      .resolves({});
    const before = clock.now();
    await store().putReadings([reading(0), reading(1)]);
    const calls = ddb.commandCalls(BatchWriteCommand).map((c) => c.args[0].input.RequestItems?.t);
    expect(calls).toHaveLength(2);
    expect(calls[1]).toEqual(left);
    expect(clock.now()).toBeGreaterThan(before); // slept (on the fake clock)
  });

  it('gives up with an error when items stay unprocessed', async () => {
    ddb
      .on(BatchWriteCommand)
      .resolves({ UnprocessedItems: { t: [{ PutRequest: { Item: { pk: 'p', sk: 's' } } }] } });
    await expect(store().putReadings([reading(0)])).rejects.toThrow(/unprocessed/);
    expect(ddb.commandCalls(BatchWriteCommand)).toHaveLength(6);
  });

  it('sends nothing for no readings', async () => {
    await store().putReadings([]);
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('DynamoIotStore.readings', () => {
  it('Queries one partition between the bounds, ends included, and pages with an opaque cursor', async () => {
    ddb.on(QueryCommand).resolves({
      Items: [{ ...reading(1), pk: 'reading#s1', sk: 'k1' }],
      LastEvaluatedKey: { pk: 'reading#s1', sk: '2026-11-23T10:00:00.000Z#r0001' },
    });
    const page = await store().readings('s1', {
      from: '2026-11-23T09:00:00.000Z',
      to: '2026-11-23T11:00:00.000Z',
      limit: 10,
    });
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
      TableName: 't',
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :low AND :high',
      ExpressionAttributeValues: {
        ':pk': 'reading#s1',
        ':low': '2026-11-23T09:00:00.000Z',
        ':high': '2026-11-23T11:00:00.000Z#\uffff',
      },
      Limit: 10,
      ConsistentRead: true,
    });
    expect(page.readings).toEqual([reading(1)]);
    expect(page.next).toEqual(expect.any(String));

    ddb.reset();
    ddb.on(QueryCommand).resolves({ Items: [] });
    const next = await store().readings('s1', {
      from: '2026-11-23T09:00:00.000Z',
      to: '2026-11-23T11:00:00.000Z',
      limit: 10,
      cursor: page.next ?? '',
    });
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input.ExclusiveStartKey).toEqual({
      pk: 'reading#s1',
      sk: '2026-11-23T10:00:00.000Z#r0001',
    });
    expect(next).toEqual({ readings: [], next: null });
  });

  it('leaves out readings past their expiresAt that TTL has not deleted yet', async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ ...reading(1), expiresAt: nowSec - 1 }, { ...reading(2) }] });
    expect((await store().readings('s1', { limit: 10 })).readings).toEqual([reading(2)]);
  });

  it.each([
    ['not base64url', '%%%'],
    ['not a reading key', Buffer.from('nokey').toString('base64url')],
    ['before the range', Buffer.from('2020-01-01T00:00:00.000Z#r').toString('base64url')],
    ['after the range', Buffer.from('2030-01-01T00:00:00.000Z#r').toString('base64url')],
  ])('refuses a cursor %s without querying', async (_why, cursor) => {
    await expect(
      store().readings('s1', {
        from: '2026-01-01T00:00:00.000Z',
        to: '2027-01-01T00:00:00.000Z',
        limit: 5,
        cursor,
      }),
    ).rejects.toBeInstanceOf(InvalidCursorError);
    expect(ddb.calls()).toHaveLength(0);
  });
});
