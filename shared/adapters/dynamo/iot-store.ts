import type { Clock } from '../../core/ports';
import {
  type Device,
  InvalidCursorError,
  type IotStore,
  type ReadingPage,
  type ReadingRange,
  type Sensor,
  type StoredReading,
  UNKNOWN_STATUS,
} from '../../features/iot/store';
import { batchWrite } from './batch-write';
import { isConditionalCheckFailed } from './client';
import { type DocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from './document-client';
import { keys } from './table';

// Sort keys are `{ISO time}#{id}`: these bound every possible key of a range, ends included.
const BEGINNING = '0000-01-01T00:00:00.000Z';
const END = '9999-12-31T23:59:59.999Z';
const AFTER_ANY_ID = '#\uffff';

type Item = Record<string, unknown>;

/**
 *   device#{id} / meta                 a device: name, status, updatedAt
 *   sensor#{id} / meta                 a sensor: deviceId, sensorType, unit, updatedAt
 *   reading#{sensor} / {time}#{id}     one reading, expiresAt = stored + retention
 * A sensor's readings are one partition in time order: a range is one Query, never a Scan.
 */
export class DynamoIotStore implements IotStore {
  constructor(
    private readonly db: DocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  async getDevice(id: string): Promise<Device | null> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.device(id), ConsistentRead: true }),
    );
    return Item ? toDevice(Item) : null;
  }

  async putDevice(input: { id: string; name: string; status?: string; now: number }): Promise<Device> {
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.device(input.id),
        UpdateExpression:
          input.status === undefined
            ? 'SET id = :id, #name = :name, updatedAt = :now, #status = if_not_exists(#status, :status)'
            : 'SET id = :id, #name = :name, updatedAt = :now, #status = :status',
        ExpressionAttributeNames: { '#name': 'name', '#status': 'status' },
        ExpressionAttributeValues: {
          ':id': input.id,
          ':name': input.name,
          ':now': input.now,
          ':status': input.status ?? UNKNOWN_STATUS,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toDevice(Attributes ?? {});
  }

  async setDeviceStatus(id: string, status: string, now: number): Promise<Device | null> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.device(id),
          UpdateExpression: 'SET #status = :status, updatedAt = :now',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': status, ':now': now },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toDevice(Attributes ?? {});
    } catch (error) {
      if (isConditionalCheckFailed(error)) return null;
      throw error;
    }
  }

  async getSensor(id: string): Promise<Sensor | null> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.sensor(id), ConsistentRead: true }),
    );
    return Item ? toSensor(Item) : null;
  }

  async putSensor(input: Omit<Sensor, 'updatedAt'> & { now: number }): Promise<Sensor> {
    const sensor: Sensor = {
      id: input.id,
      deviceId: input.deviceId,
      sensorType: input.sensorType,
      unit: input.unit,
      updatedAt: input.now,
    };
    await this.db.send(
      new PutCommand({ TableName: this.tableName, Item: { ...keys.sensor(input.id), ...sensor } }),
    );
    return sensor;
  }

  async putReadings(readings: readonly StoredReading[]): Promise<void> {
    const puts = readings.map((r) => ({
      PutRequest: {
        Item: {
          ...keys.reading(r.sensorId, r.timestamp, r.id),
          sensorId: r.sensorId,
          id: r.id,
          value: r.value,
          timestamp: r.timestamp,
          expiresAt: r.expiresAt,
        },
      },
    }));
    await batchWrite(this.db, this.tableName, puts, this.clock);
  }

  async readings(sensorId: string, range: ReadingRange): Promise<ReadingPage> {
    const low = range.from ?? BEGINNING;
    const high = `${range.to ?? END}${AFTER_ANY_ID}`;
    const pk = keys.readingPartition(sensorId);
    let start: { pk: string; sk: string } | undefined;
    if (range.cursor !== undefined) {
      const sk = decodeCursor(range.cursor);
      // DynamoDB refuses a start key outside the key condition: that is the caller's mistake, not ours.
      if (sk === null || sk < low || sk > high) {
        throw new InvalidCursorError('cursor does not belong to this sensor and time range');
      }
      start = { pk, sk };
    }
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :low AND :high',
        ExpressionAttributeValues: { ':pk': pk, ':low': low, ':high': high },
        Limit: range.limit,
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    const nowSec = this.clock.now() / 1000;
    const readings = (page.Items ?? [])
      .filter((i) => !(typeof i.expiresAt === 'number' && i.expiresAt < nowSec))
      .map(toReading);
    const lastSk = page.LastEvaluatedKey?.sk;
    return { readings, next: typeof lastSk === 'string' ? encodeCursor(lastSk) : null };
  }
}

const encodeCursor = (sk: string): string => Buffer.from(sk, 'utf8').toString('base64url');

function decodeCursor(cursor: string): string | null {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) return null;
  const sk = Buffer.from(cursor, 'base64url').toString('utf8');
  return sk.includes('#') ? sk : null;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : String(v ?? ''));

const toDevice = (i: Item): Device => ({
  id: str(i.id),
  name: str(i.name),
  status: str(i.status ?? UNKNOWN_STATUS),
  updatedAt: Number(i.updatedAt),
});

const toSensor = (i: Item): Sensor => ({
  id: str(i.id),
  deviceId: str(i.deviceId),
  sensorType: str(i.sensorType),
  unit: str(i.unit),
  updatedAt: Number(i.updatedAt),
});

const toReading = (i: Item): StoredReading => ({
  sensorId: str(i.sensorId),
  id: str(i.id),
  value: Number(i.value),
  timestamp: str(i.timestamp),
  expiresAt: Number(i.expiresAt),
});
