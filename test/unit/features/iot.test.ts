import { describe, expect, it } from 'vitest';
import type { Principal } from '../../../shared/core/auth/principal';
import type { Operation } from '../../../shared/core/operations';
import { ingestReadings, MAX_FUTURE_MS } from '../../../shared/features/iot/ingest';
import { iotOperations } from '../../../shared/features/iot/operations';
import { readings } from '../../../shared/features/iot/readings';
import { REGISTRY_CACHE_MS } from '../../../shared/features/iot/registry-cache';
import { type FakeWorld, fakeWorld } from '../../support/fakes';
import { TestClient, user } from '../../support/world';

const NOW = '2026-11-23T12:00:00.000Z'; // the fake clock's time

async function registry(world: FakeWorld) {
  await world.iot.putDevice({ id: 'd1', name: 'Hydroponic System 1', now: 0 });
  await world.iot.putDevice({ id: 'd2', name: 'Hydroponic System 2', now: 0 });
  await world.iot.putSensor({ id: 's1', deviceId: 'd1', sensorType: 'temperature', unit: 'celsius', now: 0 });
  await world.iot.putSensor({ id: 's2', deviceId: 'd2', sensorType: 'ph', unit: 'pH', now: 0 });
  await world.iot.putSensor({ id: '7', deviceId: 'd1', sensorType: 'humidity', unit: '%', now: 0 });
}

/** An operation of a fake world, made as lambdas/http-iot.ts makes it. */
type Op = (world: FakeWorld) => Operation;
const putDeviceOperation: Op = (w) => iotOperations(w).putDevice;
const getDeviceOperation: Op = (w) => iotOperations(w).getDevice;
const putDeviceStatusOperation: Op = (w) => iotOperations(w).putDeviceStatus;
const putSensorOperation: Op = (w) => iotOperations(w).putSensor;
const postSensorDataOperation: Op = (w) => iotOperations(w).ingest;
const readingsOperation: Op = (w) => iotOperations(w).readings;

const call = (
  op: Op,
  world: FakeWorld,
  input: {
    params?: Record<string, string>;
    body?: unknown;
    query?: Record<string, string>;
    principal?: Principal;
  },
) =>
  op(world)({
    principal: input.principal ?? user('svc', { scopes: ['realtime:admin'] }),
    params: input.params ?? {},
    query: input.query ?? {},
    body: input.body,
    path: '/test',
  });

describe('a sensor_data frame', () => {
  it('is stored, acked, and fanned out enriched to sensor:, device: and sensors, once per connection', async () => {
    const world = fakeWorld();
    await registry(world);
    const onSensors = await TestClient.connect(world, 'c-sensors', undefined, 'sensors');
    const onDevice = await TestClient.connect(world, 'c-device', undefined, 'device:d1');
    const onAll = await TestClient.connect(world, 'c-all', undefined, 'sensors,device:d1,sensor:s1');
    const onOther = await TestClient.connect(world, 'c-other', undefined, 'device:d2,sensor:s2');
    const device = await TestClient.connect(world, 'c-device-itself');

    const ack = await device.request({ type: 'sensor_data', sensor_id: 's1', value: 25.5, id: 'm1' });
    expect(ack).toEqual({ type: 'ack', id: 'msg-000001', ref: 'm1', sensor_id: 's1', timestamp: NOW });

    const update = {
      type: 'sensor_data_update',
      id: 'msg-000001',
      timestamp: NOW,
      sensor_id: 's1',
      sensor_type: 'temperature',
      device_id: 'd1',
      device_name: 'Hydroponic System 1',
      value: 25.5,
      unit: 'celsius',
    };
    expect(onSensors.received()).toEqual([{ ...update, channel: 'sensors' }]);
    expect(onDevice.received()).toEqual([{ ...update, channel: 'device:d1' }]);
    expect(onAll.received()).toEqual([{ ...update, channel: 'sensor:s1' }]);
    expect(onOther.received()).toEqual([]);
    expect(device.received()).toEqual([]);
    expect(world.iot.stored.get('s1')).toEqual([
      {
        sensorId: 's1',
        id: 'msg-000001',
        value: 25.5,
        timestamp: NOW,
        expiresAt: Date.parse(NOW) / 1000 + 30 * 86400,
      },
    ]);
  });

  it("stamps the update with the reading's own time and keeps the retention a setting", async () => {
    const world = fakeWorld({ SENSOR_RETENTION_DAYS: '7' });
    await registry(world);
    const dashboard = await TestClient.connect(world, 'c1', undefined, 'sensor:s1');
    const device = await TestClient.connect(world, 'c2');
    await device.request({
      type: 'sensor_data',
      sensor_id: 's1',
      value: 1,
      timestamp: '2026-11-23T13:00:00+02:00',
    });
    expect(dashboard.received()[0]).toMatchObject({ timestamp: '2026-11-23T11:00:00.000Z' });
    expect(world.iot.stored.get('s1')?.[0]?.expiresAt).toBe(Date.parse(NOW) / 1000 + 7 * 86400);
  });

  it('takes numeric ids (the seed) as their strings', async () => {
    const world = fakeWorld();
    await registry(world);
    const device = await TestClient.connect(world, 'c1');
    expect(await device.request({ type: 'sensor_data', sensor_id: 7, value: 40 })).toMatchObject({
      sensor_id: '7',
    });
  });

  it.each([
    [{ sensor_id: 's1' }, 'value is required'],
    [{ sensor_id: 's1', value: '25' }, 'value'],
    [{ sensor_id: 1.5, value: 1 }, 'sensor_id'],
    [{ sensor_id: -1, value: 1 }, 'sensor_id'],
    [{ sensor_id: 's1', value: 1, timestamp: '2026-11-23 12:00' }, 'timestamp'],
    [{ sensor_id: 's1', value: 1, timestamp: '2026-11-23T12:00:00' }, 'timestamp'], // no zone
    [{ sensor_id: 'nope', value: 1 }, 'unknown sensor "nope"'],
  ])('refuses %j with INVALID_MESSAGE and stores nothing', async (fields, mention) => {
    const world = fakeWorld();
    await registry(world);
    const device = await TestClient.connect(world, 'c1');
    const reply = await device.request({ type: 'sensor_data', ...fields, id: 'r9' });
    expect(reply).toMatchObject({
      type: 'error',
      code: 'INVALID_MESSAGE',
      ref: 'r9',
      message: expect.stringContaining(mention),
    });
    expect(world.iot.stored.size).toBe(0);
  });

  it('refuses a time more than 5 minutes ahead of the server, and takes one just within', async () => {
    const world = fakeWorld();
    await registry(world);
    const device = await TestClient.connect(world, 'c1');
    const at = (ms: number) => new Date(world.clock.now() + ms).toISOString();
    expect(
      await device.request({
        type: 'sensor_data',
        sensor_id: 's1',
        value: 1,
        timestamp: at(MAX_FUTURE_MS + 1),
      }),
    ).toMatchObject({
      code: 'INVALID_MESSAGE',
    });
    expect(
      await device.request({ type: 'sensor_data', sensor_id: 's1', value: 1, timestamp: at(MAX_FUTURE_MS) }),
    ).toMatchObject({
      type: 'ack',
    });
  });
});

describe('ingestReadings', () => {
  it('checks each reading on its own, stores the good ones, reports the bad ones by index', async () => {
    const world = fakeWorld();
    await registry(world);
    const report = await ingestReadings(world, [
      { sensor_id: 's1', value: 1 },
      { sensor_id: 'ghost', value: 2 },
      'not an object',
      { sensor_id: 's2', value: 3 },
      { sensor_id: 'ghost', value: 4 },
    ]);
    expect(report.stored.map((s) => [s.index, s.sensorId])).toEqual([
      [0, 's1'],
      [3, 's2'],
    ]);
    expect(report.rejected).toEqual([
      { index: 1, code: 'NOT_FOUND', message: expect.stringContaining('ghost') },
      { index: 2, code: 'INVALID_MESSAGE', message: expect.any(String) },
      { index: 4, code: 'NOT_FOUND', message: expect.stringContaining('ghost') },
    ]);
  });

  it('keeps two readings of one sensor at one instant apart', async () => {
    const world = fakeWorld();
    await registry(world);
    const same = { sensor_id: 's1', timestamp: '2026-11-23T11:00:00Z' };
    await ingestReadings(world, [
      { ...same, value: 1 },
      { ...same, value: 2 },
    ]);
    expect(world.iot.stored.get('s1')?.map((r) => r.value)).toEqual([1, 2]);
  });

  it("sends one sensor's readings in the order they came, each once per connection", async () => {
    const world = fakeWorld();
    await registry(world);
    const dashboard = await TestClient.connect(world, 'c1', undefined, 'sensors,device:d1');
    const batch = Array.from({ length: 40 }, (_, i) => ({ sensor_id: i % 2 ? 's1' : '7', value: i }));
    await ingestReadings(world, batch);
    const got = dashboard.received();
    expect(got).toHaveLength(40);
    expect(got.filter((f) => f.sensor_id === 's1').map((f) => f.value)).toEqual(
      batch.filter((_, i) => i % 2).map((r) => r.value),
    );
    expect(got.filter((f) => f.sensor_id === '7').map((f) => f.value)).toEqual(
      batch.filter((_, i) => !(i % 2)).map((r) => r.value),
    );
  });

  it('reads the registry once for a batch of one sensor, and again only after the cache time', async () => {
    const world = fakeWorld();
    await registry(world);
    const readsBefore = world.iot.reads;
    await ingestReadings(
      world,
      Array.from({ length: 500 }, (_, value) => ({ sensor_id: 's1', value })),
    );
    expect(world.iot.reads - readsBefore).toBe(2); // the sensor and its device
    await ingestReadings(world, [{ sensor_id: 's1', value: 1 }]);
    expect(world.iot.reads - readsBefore).toBe(2);
    world.clock.advance(REGISTRY_CACHE_MS);
    await ingestReadings(world, [{ sensor_id: 's1', value: 1 }]);
    expect(world.iot.reads - readsBefore).toBe(4);
  });

  it('sees a change made through the registry at once in the same container', async () => {
    const world = fakeWorld();
    await registry(world);
    const dashboard = await TestClient.connect(world, 'c1', undefined, 'sensor:s1');
    await ingestReadings(world, [{ sensor_id: 's1', value: 1 }]);
    await call(putDeviceOperation, world, { params: { id: 'd1' }, body: { name: 'Renamed' } });
    await call(putSensorOperation, world, {
      params: { id: 's1' },
      body: { device_id: 'd1', sensor_type: 'temperature', unit: 'kelvin' },
    });
    await ingestReadings(world, [{ sensor_id: 's1', value: 2 }]);
    expect(dashboard.received().map((f) => [f.device_name, f.unit])).toEqual([
      ['Hydroponic System 1', 'celsius'],
      ['Renamed', 'kelvin'],
    ]);
  });

  it('does not remember that a sensor was unknown: registered, its next reading is taken', async () => {
    const world = fakeWorld();
    await registry(world);
    expect((await ingestReadings(world, [{ sensor_id: 'new', value: 1 }])).rejected).toHaveLength(1);
    await world.iot.putSensor({ id: 'new', deviceId: 'd1', sensorType: 't', unit: 'c', now: 0 });
    expect((await ingestReadings(world, [{ sensor_id: 'new', value: 1 }])).stored).toHaveLength(1);
  });

  it('keeps the readings stored when their fan-out fails, and logs it', async () => {
    const world = fakeWorld();
    await registry(world);
    world.connections.subscribers = async function* () {
      yield await Promise.reject(new Error('throttled'));
    };
    const report = await ingestReadings(world, [{ sensor_id: 's1', value: 1 }]);
    expect(report.stored).toHaveLength(1);
    expect(world.iot.stored.get('s1')).toHaveLength(1);
    expect(world.log.lines).toContainEqual(
      expect.objectContaining({ level: 'error', message: expect.stringContaining('could not be delivered') }),
    );
  });
});

describe('POST /v1/sensor-data', () => {
  it.each([
    [[{ sensor_id: 's1', value: 1 }], 202, 1],
    [
      [
        { sensor_id: 's1', value: 1 },
        { sensor_id: 'x', value: 1 },
      ],
      207,
      1,
    ],
    [[{ sensor_id: 'x', value: 1 }], 400, 0],
  ])('answers %j with %i', async (list, status, stored) => {
    const world = fakeWorld();
    await registry(world);
    const res = await call(postSensorDataOperation, world, { body: { readings: list } });
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ stored, rejected: expect.any(Array) });
    expect((res.body as { rejected: unknown[] }).rejected).toHaveLength(list.length - stored);
    if (status === 400) expect(res.headers).toEqual({ 'content-type': 'application/problem+json' });
  });

  it('refuses more than 500 readings, or none, as a whole', async () => {
    const world = fakeWorld();
    await registry(world);
    for (const readings of [[], Array.from({ length: 501 }, () => ({ sensor_id: 's1', value: 1 }))]) {
      await expect(call(postSensorDataOperation, world, { body: { readings } })).rejects.toMatchObject({
        code: 'INVALID_MESSAGE',
      });
    }
    expect(world.iot.stored.size).toBe(0);
  });
});

describe('the registry operations', () => {
  it('keeps the status of a device that is renamed without one', async () => {
    const world = fakeWorld();
    await call(putDeviceOperation, world, { params: { id: 'd9' }, body: { name: 'A', status: 'active' } });
    const renamed = await call(putDeviceOperation, world, { params: { id: 'd9' }, body: { name: 'B' } });
    expect(renamed.body).toMatchObject({ id: 'd9', name: 'B', status: 'active' });
    expect((await call(getDeviceOperation, world, { params: { id: 'd9' } })).body).toMatchObject({
      name: 'B',
    });
  });

  it('refuses a sensor of an unknown device with NOT_FOUND, and a bad id with INVALID_MESSAGE', async () => {
    const world = fakeWorld();
    await expect(
      call(putSensorOperation, world, {
        params: { id: 's' },
        body: { device_id: 'nope', sensor_type: 't', unit: 'u' },
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(
      call(putDeviceOperation, world, { params: { id: 'a/b' }, body: { name: 'x' } }),
    ).rejects.toMatchObject({
      code: 'INVALID_MESSAGE',
    });
  });

  it('sends device_status to device:{id} and sensors as one event, stored with the device', async () => {
    const world = fakeWorld();
    await registry(world);
    const both = await TestClient.connect(world, 'c1', undefined, 'sensors,device:d1');
    const other = await TestClient.connect(world, 'c2', undefined, 'device:d2');
    const res = await call(putDeviceStatusOperation, world, {
      params: { id: 'd1' },
      body: { status: 'maintenance' },
    });
    expect(res).toMatchObject({
      status: 202,
      body: { recipients: 1, delivered: 1, device: { status: 'maintenance' } },
    });
    expect(both.received()).toEqual([
      {
        type: 'device_status',
        channel: 'device:d1',
        id: (res.body as { id: string }).id,
        timestamp: NOW,
        device_id: 'd1',
        device_name: 'Hydroponic System 1',
        status: 'maintenance',
      },
    ]);
    expect(other.received()).toEqual([]);
    expect(world.iot.devices.get('d1')?.status).toBe('maintenance');
    await expect(
      call(putDeviceStatusOperation, world, { params: { id: 'ghost' }, body: { status: 'x' } }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});

describe('readings by time range', () => {
  async function withReadings() {
    const world = fakeWorld();
    await registry(world);
    await ingestReadings(
      world,
      Array.from({ length: 6 }, (_, m) => ({
        sensor_id: 's1',
        value: m,
        timestamp: `2026-11-23T10:0${m}:00Z`,
      })),
    );
    return world;
  }

  it('takes from and to inclusive, in any zone, oldest first', async () => {
    const world = await withReadings();
    const page = await readings(world, 's1', {
      from: '2026-11-23T10:01:00Z',
      to: '2026-11-23T12:03:00+02:00',
      limit: 100,
    });
    expect(page.readings.map((r) => r.value)).toEqual([1, 2, 3]);
    expect(page.readings[0]).toEqual({ sensor_id: 's1', value: 1, timestamp: '2026-11-23T10:01:00.000Z' });
  });

  it('answers an unknown sensor with NOT_FOUND and a foreign cursor with INVALID_MESSAGE', async () => {
    const world = await withReadings();
    await expect(readings(world, 'ghost', { limit: 10 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(readings(world, 's1', { limit: 10, cursor: 'bogus' })).rejects.toMatchObject({
      code: 'INVALID_MESSAGE',
    });
  });

  it('validates the query: from after to, limit out of 1-1000', async () => {
    const world = await withReadings();
    const queries: Record<string, string>[] = [
      { from: '2026-11-23T11:00:00Z', to: '2026-11-23T10:00:00Z' },
      { limit: '0' },
      { limit: '1001' },
    ];
    for (const query of queries) {
      await expect(call(readingsOperation, world, { params: { id: 's1' }, query })).rejects.toMatchObject({
        code: 'INVALID_MESSAGE',
      });
    }
  });
});
