import { channelIn } from '../../core/channels';
import { mapBounded } from '../../core/delivery/pool';
import { SubscriberSnapshot } from '../../core/delivery/subscriber-snapshot';
import { asProtocolError, type ErrorCode, ProtocolError } from '../../core/errors';
import { isoTime, validate } from '../../core/protocol';
import { publish } from '../../core/publish';
import type { IotDeps } from './deps';
import { device as deviceNamespace, sensor as sensorNamespace, sensors } from './manifest';
import { readingSchema } from './schemas';
import type { Device, Sensor, StoredReading } from './store';

/** A reading may be stamped up to this far ahead of the server's clock (device clocks drift). */
export const MAX_FUTURE_MS = 5 * 60_000;
/** Sensors whose readings are looked up and fanned out at once; one sensor's readings go out in order. */
const SENSORS_IN_FLIGHT = 8;

export interface Rejection {
  /** The reading's place in the request (0 for a `sensor_data` frame). */
  index: number;
  code: ErrorCode;
  message: string;
}

export interface AcceptedReading {
  index: number;
  /** The reading's id: also the id of its `sensor_data_update` frames. */
  id: string;
  sensorId: string;
  timestamp: string;
}

export interface IngestReport {
  stored: AcceptedReading[];
  /** In request order. */
  rejected: Rejection[];
}

interface ValidReading {
  index: number;
  sensorId: string;
  value: number;
  time: number;
}

interface SensorBatch {
  sensor: Sensor;
  device: Device | null;
  readings: (StoredReading & { index: number; time: number })[];
}

/**
 * Ingests readings (a `sensor_data` frame is a batch of one). Each reading is checked on its own: a bad
 * field, a time too far ahead or an unknown sensor rejects that reading and no other. The good ones are
 * stored (one partition per sensor, expiring after the retention), then each is fanned out as
 * `sensor_data_update`, enriched from the registry, to `sensor:{id}`, `device:{device_id}` and `sensors`.
 */
export async function ingestReadings(deps: IotDeps, raws: readonly unknown[]): Promise<IngestReport> {
  const now = deps.clock.now();
  const rejected: Rejection[] = [];
  const bySensor = new Map<string, ValidReading[]>();
  raws.forEach((raw, index) => {
    try {
      const reading = parseReading(raw, index, now);
      const list = bySensor.get(reading.sensorId) ?? [];
      list.push(reading);
      bySensor.set(reading.sensorId, list);
    } catch (error) {
      rejected.push(rejection(index, error));
    }
  });

  const cache = deps.iotRegistry;
  const expiresAt = Math.floor(now / 1000) + deps.config.limits.sensorRetentionDays * 24 * 60 * 60;
  const looked = await mapBounded(
    [...bySensor],
    SENSORS_IN_FLIGHT,
    async ([sensorId, readings]): Promise<SensorBatch | null> => {
      const sensor = await cache.sensor(sensorId);
      if (!sensor) {
        const message = `unknown sensor "${sensorId}"; register it with PUT /v1/sensors/${sensorId}`;
        for (const r of readings) rejected.push({ index: r.index, code: 'NOT_FOUND', message });
        return null;
      }
      const device = await cache.device(sensor.deviceId);
      return {
        sensor,
        device,
        readings: readings.map((r) => ({
          index: r.index,
          time: r.time,
          sensorId,
          id: deps.ids.next(),
          value: r.value,
          timestamp: isoTime(r.time),
          expiresAt,
        })),
      };
    },
  );
  const batches = looked.filter((b): b is SensorBatch => b !== null);

  // Stored before anyone is told: a dashboard that queries on an update finds the reading.
  await deps.iot.putReadings(
    batches.flatMap((b) =>
      b.readings.map(
        (r): StoredReading => ({
          sensorId: r.sensorId,
          id: r.id,
          value: r.value,
          timestamp: r.timestamp,
          expiresAt: r.expiresAt,
        }),
      ),
    ),
  );
  // Each channel's subscribers are read once for the whole batch, not once per reading.
  const batchDeps = { ...deps, connections: new SubscriberSnapshot(deps.connections) };
  await mapBounded(batches, SENSORS_IN_FLIGHT, async (batch) => {
    for (const reading of batch.readings) await publishReading(batchDeps, batch, reading);
  });

  return {
    stored: batches
      .flatMap((b) => b.readings)
      .sort((a, b) => a.index - b.index)
      .map((r) => ({ index: r.index, id: r.id, sensorId: r.sensorId, timestamp: r.timestamp })),
    rejected: rejected.sort((a, b) => a.index - b.index),
  };
}

function parseReading(raw: unknown, index: number, now: number): ValidReading {
  const input = validate(readingSchema, raw);
  const time = input.timestamp === undefined ? now : Date.parse(input.timestamp);
  if (time > now + MAX_FUTURE_MS) {
    throw new ProtocolError(
      'INVALID_MESSAGE',
      `timestamp is more than ${MAX_FUTURE_MS / 60_000} minutes in the future`,
    );
  }
  return { index, sensorId: input.sensor_id, value: input.value, time };
}

function rejection(index: number, error: unknown): Rejection {
  const e = asProtocolError(error);
  return { index, code: e.code, message: e.message };
}

/**
 * One reading to its three channels as one event (one id): a connection on `sensors` and on `sensor:{id}`
 * gets it once, on the first of them, the most specific. The reading is stored already, so a failed
 * delivery is logged, not thrown: a retry would store it twice.
 */
async function publishReading(
  deps: IotDeps,
  batch: SensorBatch,
  reading: SensorBatch['readings'][number],
): Promise<void> {
  const { sensor, device } = batch;
  try {
    await publish(deps, {
      channels: [
        channelIn(sensorNamespace, sensor.id),
        channelIn(deviceNamespace, sensor.deviceId),
        channelIn(sensors, null),
      ],
      id: reading.id,
      timestamp: reading.time,
      event: {
        type: 'sensor_data_update',
        sensor_id: sensor.id,
        sensor_type: sensor.sensorType,
        device_id: sensor.deviceId,
        device_name: device?.name ?? null,
        value: reading.value,
        unit: sensor.unit,
      },
    });
  } catch (error) {
    deps.log.error('a stored reading could not be delivered', {
      sensorId: sensor.id,
      readingId: reading.id,
      error: error instanceof Error ? error.stack : String(error),
    });
  }
}
