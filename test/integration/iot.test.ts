import { randomInt } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clientPool, type Frame, type TestClient, unique } from './support/client';
import { api } from './support/http';
import { shared, token } from './support/stack';

/**
 * Seed 002 on the local stack: the device and sensor registry, readings over WebSocket and HTTP, their
 * enriched fan-out to `sensors`, `device:{id}` and `sensor:{id}`, readings by time range, device status.
 * `sensors` is one channel for the whole run, so what arrives there is matched by this test's ids.
 */
const { httpUrl, wsUrl } = shared();
const clients = clientPool();
afterEach(() => clients.closeAll());

let admin: string;
let service: string;
beforeAll(async () => {
  admin = await token(httpUrl, { sub: 'iot-admin', scope: 'realtime:admin' });
  service = await token(httpUrl, { sub: 'iot-service', scope: 'realtime:publish' });
});

const id = (prefix: string) => unique(prefix);

async function registerDevice(deviceId: string, name: string): Promise<void> {
  const res = await api(httpUrl, 'PUT', `/v1/devices/${deviceId}`, { bearer: admin, body: { name } });
  expect(res.status).toBe(200);
}

async function registerSensor(
  sensorId: string,
  deviceId: string,
  sensorType = 'temperature',
  unit = 'celsius',
) {
  const res = await api(httpUrl, 'PUT', `/v1/sensors/${sensorId}`, {
    bearer: admin,
    body: { device_id: deviceId, sensor_type: sensorType, unit },
  });
  expect(res.status).toBe(200);
}

const updates = (frames: Frame[], sensorId?: string) =>
  frames.filter(
    (f) => f.type === 'sensor_data_update' && (sensorId === undefined || f.sensor_id === sensorId),
  );

describe('the registry', () => {
  it('stores a device and a sensor and reads them back', async () => {
    const deviceId = id('dev-');
    const sensorId = id('sen-');
    const put = await api(httpUrl, 'PUT', `/v1/devices/${deviceId}`, {
      bearer: admin,
      body: { name: 'Hydroponic System 1' },
    });
    expect(put.body).toMatchObject({ id: deviceId, name: 'Hydroponic System 1', status: 'unknown' });
    expect((await api(httpUrl, 'GET', `/v1/devices/${deviceId}`)).body).toEqual({
      id: deviceId,
      name: 'Hydroponic System 1',
      status: 'unknown',
      updated_at: expect.stringMatching(/Z$/),
    });
    await registerSensor(sensorId, deviceId, 'ph', 'pH');
    const sensor = await api(httpUrl, 'GET', `/v1/sensors/${sensorId}`);
    expect(sensor.body).toMatchObject({ id: sensorId, device_id: deviceId, sensor_type: 'ph', unit: 'pH' });
  });

  it('takes the seed numeric ids and keeps them as strings', async () => {
    const deviceNumber = randomInt(1, 2 ** 40);
    const res = await api(httpUrl, 'PUT', `/v1/devices/${deviceNumber}`, {
      bearer: admin,
      body: { name: 'n' },
    });
    expect(res.body.id).toBe(String(deviceNumber));
    const sensorNumber = randomInt(1, 2 ** 40);
    const sensor = await api(httpUrl, 'PUT', `/v1/sensors/${sensorNumber}`, {
      bearer: admin,
      body: { device_id: deviceNumber, sensor_type: 'temperature', unit: 'celsius' },
    });
    expect(sensor.body).toMatchObject({ id: String(sensorNumber), device_id: String(deviceNumber) });
  });

  it('refuses a sensor of an unregistered device with 404, and unknown ids with 404', async () => {
    const res = await api(httpUrl, 'PUT', `/v1/sensors/${id('sen-')}`, {
      bearer: admin,
      body: { device_id: id('nodev-'), sensor_type: 't', unit: 'c' },
    });
    expect(res.status).toBe(404);
    expect(res.contentType).toBe('application/problem+json');
    expect(res.body).toMatchObject({ code: 'NOT_FOUND', detail: expect.stringContaining('device_id') });
    expect((await api(httpUrl, 'GET', `/v1/devices/${id('nodev-')}`)).status).toBe(404);
    expect((await api(httpUrl, 'GET', `/v1/sensors/${id('nosen-')}`)).status).toBe(404);
  });

  it('needs realtime:admin to change the registry, and refuses ids outside the channel charset', async () => {
    const deviceId = id('dev-');
    const asService = await api(httpUrl, 'PUT', `/v1/devices/${deviceId}`, {
      bearer: service,
      body: { name: 'x' },
    });
    expect(asService.status).toBe(403);
    expect((await api(httpUrl, 'PUT', `/v1/devices/${deviceId}`, { body: { name: 'x' } })).status).toBe(401);
    const badId = await api(httpUrl, 'PUT', '/v1/devices/a%20b', { bearer: admin, body: { name: 'x' } });
    expect(badId.status).toBe(400);
    const noName = await api(httpUrl, 'PUT', `/v1/devices/${deviceId}`, { bearer: admin, body: {} });
    expect(noName.body).toMatchObject({ status: 400, code: 'INVALID_MESSAGE', detail: 'name is required' });
  });
});

describe('a reading over WebSocket', () => {
  it('arrives enriched on sensors, on its device: and on its sensor: channel and nowhere else', async () => {
    const [deviceId, otherDevice, sensorId, otherSensor] = [id('dev-'), id('dev-'), id('sen-'), id('sen-')];
    await registerDevice(deviceId, 'Hydroponic System 1');
    await registerDevice(otherDevice, 'Hydroponic System 2');
    await registerSensor(sensorId, deviceId);
    await registerSensor(otherSensor, otherDevice);

    const onSensors = await clients.connect(wsUrl, { channels: ['sensors'] });
    const onDevice = await clients.connect(wsUrl, { channels: [`device:${deviceId}`] });
    const onSensor = await clients.connect(wsUrl, { channels: [`sensor:${sensorId}`] });
    const onAllThree = await clients.connect(wsUrl, {
      channels: ['sensors', `device:${deviceId}`, `sensor:${sensorId}`],
    });
    const onOtherDevice = await clients.connect(wsUrl, { channels: [`device:${otherDevice}`] });
    const onOtherSensor = await clients.connect(wsUrl, { channels: [`sensor:${otherSensor}`] });
    const device = await clients.connect(wsUrl); // anonymous, subscribed to nothing, as in the seed

    const ack = await device.request(
      { type: 'sensor_data', sensor_id: sensorId, value: 25.5, timestamp: '2025-09-11T15:30:00Z', id: 'r1' },
      'ack',
    );
    expect(ack).toEqual({
      type: 'ack',
      id: expect.any(String),
      ref: 'r1',
      sensor_id: sensorId,
      timestamp: '2025-09-11T15:30:00.000Z',
    });

    const expected = (channel: string) => ({
      type: 'sensor_data_update',
      channel,
      id: ack.id,
      timestamp: '2025-09-11T15:30:00.000Z',
      sensor_id: sensorId,
      sensor_type: 'temperature',
      device_id: deviceId,
      device_name: 'Hydroponic System 1',
      value: 25.5,
      unit: 'celsius',
    });
    const match = (f: Frame) => f.sensor_id === sensorId;
    expect(await onSensors.nextOfType('sensor_data_update', match)).toEqual(expected('sensors'));
    expect(await onDevice.nextOfType('sensor_data_update')).toEqual(expected(`device:${deviceId}`));
    expect(await onSensor.nextOfType('sensor_data_update')).toEqual(expected(`sensor:${sensorId}`));
    // On all three channels: once, from the most specific one.
    expect(await onAllThree.nextOfType('sensor_data_update', match)).toEqual(expected(`sensor:${sensorId}`));
    expect(updates(await onAllThree.sync(), sensorId)).toEqual([]);

    for (const elsewhere of [onOtherDevice, onOtherSensor, device] as TestClient[]) {
      expect(updates(await elsewhere.sync())).toEqual([]);
    }
  });

  it('accepts the seed frame as it was (numeric ids, no timestamp: the server time)', async () => {
    const deviceNumber = randomInt(1, 2 ** 40);
    const sensorNumber = randomInt(1, 2 ** 40);
    await registerDevice(String(deviceNumber), 'Numbered');
    await registerSensor(String(sensorNumber), String(deviceNumber), 'humidity', '%');
    const dashboard = await clients.connect(wsUrl, { channels: [`sensor:${sensorNumber}`] });
    const device = await clients.connect(wsUrl);
    const before = Date.now();
    device.send({ type: 'sensor_data', sensor_id: sensorNumber, value: 61 });
    const update = await dashboard.nextOfType('sensor_data_update');
    expect(update).toMatchObject({
      sensor_id: String(sensorNumber),
      device_id: String(deviceNumber),
      value: 61,
    });
    expect(Date.parse(String(update.timestamp))).toBeGreaterThanOrEqual(before - 1000);
  });

  it.each([
    [{ value: 1 }, 'INVALID_MESSAGE', 'sensor_id is required'],
    [{ sensor_id: 'x', value: '25.5' }, 'INVALID_MESSAGE', 'value'],
    [{ sensor_id: 'x', value: 1, timestamp: 'yesterday' }, 'INVALID_MESSAGE', 'timestamp'],
    [{ sensor_id: 'a b', value: 1 }, 'INVALID_MESSAGE', 'sensor_id'],
  ])('answers %j with an error frame and stores nothing', async (fields, code, mention) => {
    const client = await clients.connect(wsUrl);
    const error = await client.request({ type: 'sensor_data', ...fields }, 'error');
    expect(error).toMatchObject({ type: 'error', code, message: expect.stringContaining(mention) });
  });

  it('refuses an unknown sensor and a time more than 5 minutes ahead, and the connection stays open', async () => {
    const deviceId = id('dev-');
    const sensorId = id('sen-');
    await registerDevice(deviceId, 'D');
    await registerSensor(sensorId, deviceId);
    const client = await clients.connect(wsUrl);
    const unknownSensor = id('nosen-');
    const unknown = await client.request(
      { type: 'sensor_data', sensor_id: unknownSensor, value: 1 },
      'error',
    );
    expect(unknown).toMatchObject({
      code: 'INVALID_MESSAGE',
      message: expect.stringContaining(unknownSensor),
    });
    const ahead = new Date(Date.now() + 10 * 60_000).toISOString();
    const future = await client.request(
      { type: 'sensor_data', sensor_id: sensorId, value: 1, timestamp: ahead },
      'error',
    );
    expect(future).toMatchObject({ code: 'INVALID_MESSAGE', message: expect.stringContaining('future') });
    expect(
      (await client.request({ type: 'sensor_data', sensor_id: sensorId, value: 2 }, 'ack')).sensor_id,
    ).toBe(sensorId);
    const stored = await api(httpUrl, 'GET', `/v1/sensors/${sensorId}/readings`);
    expect((stored.body.readings as unknown[]).length).toBe(1);
  });
});

describe('POST /v1/sensor-data', () => {
  it('stores and fans out 497 of 500 readings and reports the 3 bad ones (207)', {
    timeout: 180_000,
  }, async () => {
    const deviceId = id('dev-');
    const [spaced, sameTime] = [id('sen-'), id('sen-')];
    await registerDevice(deviceId, 'Batch device');
    await registerSensor(spaced, deviceId);
    await registerSensor(sameTime, deviceId, 'pressure', 'hPa');
    const dashboard = await clients.connect(wsUrl, { channels: [`device:${deviceId}`] });

    const base = Date.parse('2025-01-01T00:00:00Z');
    const readings: Record<string, unknown>[] = [];
    for (let i = 0; i < 300; i++) {
      readings.push({ sensor_id: spaced, value: i, timestamp: new Date(base + i * 1000).toISOString() });
    }
    // 197 readings of one sensor at one instant: each is kept (the sort key is unique per reading).
    for (let i = 0; i < 197; i++)
      readings.push({ sensor_id: sameTime, value: i, timestamp: '2025-01-01T00:00:00Z' });
    const unknownSensor = id('nosen-');
    readings.splice(10, 0, { sensor_id: unknownSensor, value: 1 });
    readings.splice(200, 0, { sensor_id: spaced, value: 'hot' });
    readings.splice(450, 0, {
      sensor_id: spaced,
      value: 1,
      timestamp: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(readings).toHaveLength(500);

    const res = await api(httpUrl, 'POST', '/v1/sensor-data', { bearer: service, body: { readings } });
    expect(res.status).toBe(207);
    expect(res.body).toEqual({
      stored: 497,
      rejected: [
        { index: 10, code: 'NOT_FOUND', message: expect.stringContaining(unknownSensor) },
        { index: 200, code: 'INVALID_MESSAGE', message: expect.stringContaining('value') },
        { index: 450, code: 'INVALID_MESSAGE', message: expect.stringContaining('future') },
      ],
    });

    const received: Frame[] = [];
    while (received.length < 497) received.push(await dashboard.nextOfType('sensor_data_update'));
    expect(updates(await dashboard.sync())).toEqual([]);
    expect(new Set(received.map((f) => f.id)).size).toBe(497);
    // One sensor's readings arrive in the order they were sent.
    expect(received.filter((f) => f.sensor_id === spaced).map((f) => f.value)).toEqual(
      Array.from({ length: 300 }, (_, i) => i),
    );
    expect(received.filter((f) => f.sensor_id === sameTime)).toHaveLength(197);

    const count = async (sensorId: string) =>
      ((await api(httpUrl, 'GET', `/v1/sensors/${sensorId}/readings?limit=1000`)).body.readings as unknown[])
        .length;
    expect(await count(spaced)).toBe(300);
    expect(await count(sameTime)).toBe(197);
  });

  it('answers 202 when every reading was stored, and 400 with the report when none was', async () => {
    const deviceId = id('dev-');
    const sensorId = id('sen-');
    await registerDevice(deviceId, 'D');
    await registerSensor(sensorId, deviceId);
    const ok = await api(httpUrl, 'POST', '/v1/sensor-data', {
      bearer: service,
      body: {
        readings: [
          { sensor_id: sensorId, value: 1 },
          { sensor_id: sensorId, value: 2 },
        ],
      },
    });
    expect(ok).toMatchObject({ status: 202, body: { stored: 2, rejected: [] } });
    const none = await api(httpUrl, 'POST', '/v1/sensor-data', {
      bearer: service,
      body: { readings: [{ sensor_id: id('nosen-'), value: 1 }] },
    });
    expect(none.status).toBe(400);
    expect(none.contentType).toBe('application/problem+json');
    expect(none.body).toMatchObject({
      code: 'INVALID_MESSAGE',
      stored: 0,
      rejected: [{ index: 0, code: 'NOT_FOUND' }],
    });
  });

  it('takes 1-500 readings, from realtime:publish callers only', async () => {
    const reading = { sensor_id: 'x', value: 1 };
    for (const readings of [[], Array.from({ length: 501 }, () => reading)]) {
      const res = await api(httpUrl, 'POST', '/v1/sensor-data', { bearer: service, body: { readings } });
      expect(res.body).toMatchObject({
        status: 400,
        code: 'INVALID_MESSAGE',
        detail: expect.stringContaining('readings'),
      });
    }
    const user = await token(httpUrl, { sub: id('u-') });
    const asUser = await api(httpUrl, 'POST', '/v1/sensor-data', {
      bearer: user,
      body: { readings: [reading] },
    });
    expect(asUser.status).toBe(403);
  });
});

describe('GET /v1/sensors/{id}/readings', () => {
  it('answers a time range, both ends included, oldest first, page by page', async () => {
    const deviceId = id('dev-');
    const sensorId = id('sen-');
    await registerDevice(deviceId, 'D');
    await registerSensor(sensorId, deviceId);
    const at = (minute: number) =>
      new Date(Date.parse('2025-03-01T10:00:00Z') + minute * 60_000).toISOString();
    // Sent newest first, with one time written in another zone: the order is the readings' time.
    const readings = Array.from({ length: 10 }, (_, m) => ({
      sensor_id: sensorId,
      value: m,
      timestamp: at(m),
    })).reverse();
    readings[0] = { sensor_id: sensorId, value: 9, timestamp: '2025-03-01T12:09:00+02:00' };
    expect(
      (await api(httpUrl, 'POST', '/v1/sensor-data', { bearer: service, body: { readings } })).status,
    ).toBe(202);

    const range = `from=${encodeURIComponent(at(2))}&to=${encodeURIComponent('2025-03-01T12:05:00+02:00')}`;
    const all = await api(httpUrl, 'GET', `/v1/sensors/${sensorId}/readings?${range}`);
    expect(all.body).toEqual({
      readings: [2, 3, 4, 5].map((m) => ({ sensor_id: sensorId, value: m, timestamp: at(m) })),
      next: null,
    });

    const paged: unknown[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = `${range}&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await api(httpUrl, 'GET', `/v1/sensors/${sensorId}/readings?${q}`);
      expect(page.status).toBe(200);
      paged.push(...(page.body.readings as unknown[]));
      cursor = page.body.next as string | null;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(paged).toEqual(all.body.readings);
    expect(pages).toBe(2);

    const everything = await api(httpUrl, 'GET', `/v1/sensors/${sensorId}/readings`);
    expect((everything.body.readings as { value: number }[]).map((r) => r.value)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);
  });

  it('refuses a bad range, limit or cursor with 400, and an unknown sensor with 404', async () => {
    const deviceId = id('dev-');
    const sensorId = id('sen-');
    await registerDevice(deviceId, 'D');
    await registerSensor(sensorId, deviceId);
    const path = `/v1/sensors/${sensorId}/readings`;
    for (const q of [
      'from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z',
      'from=yesterday',
      'limit=0',
      'limit=1001',
      'cursor=bm90LWEta2V5',
      `from=2025-01-01T00:00:00Z&cursor=${Buffer.from('2024-01-01T00:00:00.000Z#x').toString('base64url')}`,
    ]) {
      const res = await api(httpUrl, 'GET', `${path}?${q}`);
      expect({ q, status: res.status, code: res.body.code }).toEqual({
        q,
        status: 400,
        code: 'INVALID_MESSAGE',
      });
    }
    expect((await api(httpUrl, 'GET', `/v1/sensors/${id('nosen-')}/readings`)).status).toBe(404);
  });
});

describe('PUT /v1/devices/{id}/status', () => {
  it('stores the status and broadcasts device_status to sensors and device:{id} only', async () => {
    const deviceId = id('dev-');
    const otherDevice = id('dev-');
    await registerDevice(deviceId, 'Hydroponic System 1');
    await registerDevice(otherDevice, 'Other');
    const onDevice = await clients.connect(wsUrl, { channels: [`device:${deviceId}`] });
    const onSensors = await clients.connect(wsUrl, { channels: ['sensors'] });
    const onBoth = await clients.connect(wsUrl, { channels: ['sensors', `device:${deviceId}`] });
    const onOther = await clients.connect(wsUrl, { channels: [`device:${otherDevice}`] });

    const res = await api(httpUrl, 'PUT', `/v1/devices/${deviceId}/status`, {
      bearer: service,
      body: { status: 'active' },
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ id: expect.any(String), device: { status: 'active' } });
    // At least these three (`sensors` is shared with the rest of the run).
    expect(res.body.delivered).toBeGreaterThanOrEqual(3);

    const expected = {
      type: 'device_status',
      id: res.body.id,
      timestamp: expect.any(String),
      device_id: deviceId,
      device_name: 'Hydroponic System 1',
      status: 'active',
    };
    const mine = (f: Frame) => f.device_id === deviceId;
    expect(await onDevice.nextOfType('device_status')).toEqual({
      ...expected,
      channel: `device:${deviceId}`,
    });
    expect(await onSensors.nextOfType('device_status', mine)).toEqual({ ...expected, channel: 'sensors' });
    expect(await onBoth.nextOfType('device_status', mine)).toMatchObject(expected);
    expect((await onBoth.sync()).filter((f) => f.type === 'device_status' && mine(f))).toEqual([]);
    expect((await onOther.sync()).filter((f) => f.type === 'device_status')).toEqual([]);
    expect((await api(httpUrl, 'GET', `/v1/devices/${deviceId}`)).body.status).toBe('active');
  });

  it('answers 404 for an unknown device and 403 without realtime:publish', async () => {
    const unknown = await api(httpUrl, 'PUT', `/v1/devices/${id('nodev-')}/status`, {
      bearer: service,
      body: { status: 'active' },
    });
    expect(unknown.status).toBe(404);
    const user = await token(httpUrl, { sub: id('u-') });
    const asUser = await api(httpUrl, 'PUT', `/v1/devices/${id('dev-')}/status`, {
      bearer: user,
      body: { status: 'x' },
    });
    expect(asUser.status).toBe(403);
  });
});
