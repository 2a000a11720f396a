import { z } from 'zod';
import { CHANNEL_NAME, CHANNEL_NAME_RULE, nameField } from '../../core/protocol';

/**
 * Device and sensor ids become channel names (`device:{id}`, `sensor:{id}`), so they follow the channel-name
 * rule. The seed's ids were integers (`"sensor_id": 1`): a whole number is accepted and becomes its
 * string, so `1` and `"1"` are the same sensor.
 */
export const entityId = z.preprocess(
  (v) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? String(v) : v),
  z.string().regex(CHANNEL_NAME, `must be ${CHANNEL_NAME_RULE}, or a whole number`),
);

/** A path parameter that must be an id; INVALID_MESSAGE otherwise. */
export const idParam = nameField;

const label = (max: number) => z.string().trim().min(1).max(max);

export const deviceBody = z.object({ name: label(200), status: label(64).optional() });
export const deviceStatusBody = z.object({ status: label(64) });
export const sensorBody = z.object({ device_id: entityId, sensor_type: label(64), unit: label(32) });

/** ISO 8601 with a zone (`Z` or `±hh:mm`): a reading's time must not depend on the server's zone. */
export const isoTimestamp = z.iso.datetime({ offset: true });

/** One reading, as a `sensor_data` frame or an element of `POST /v1/sensor-data` carries it. */
export const readingSchema = z.object({
  sensor_id: entityId,
  value: z.number(),
  timestamp: isoTimestamp.optional(),
});

export type ReadingInput = z.infer<typeof readingSchema>;

export const MAX_READINGS_PER_REQUEST = 500;

export const sensorDataBody = z.object({
  readings: z.array(z.unknown()).min(1).max(MAX_READINGS_PER_REQUEST),
});

export const readingsQuery = z
  .object({
    from: isoTimestamp.optional(),
    to: isoTimestamp.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    cursor: z.string().min(1).max(512).optional(),
  })
  .refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.from) <= Date.parse(q.to), {
    message: 'from must not be after to',
  });
