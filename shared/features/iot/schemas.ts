import * as z from 'zod/mini';
import { CHANNEL_NAME, CHANNEL_NAME_RULE, nameField } from '../../core/protocol';

/**
 * Device and sensor ids become channel names (`device:{id}`, `sensor:{id}`), so they follow the channel-name
 * rule. The seed's ids were integers (`"sensor_id": 1`): a whole number is accepted and becomes its
 * string, so `1` and `"1"` are the same sensor.
 */
export const entityId = z.lazy(() =>
  z.pipe(
    // zod's preprocess is this pipe: zod/mini has no helper for it.
    z.transform((v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? String(v) : v)),
    z.string().check(z.regex(CHANNEL_NAME, `must be ${CHANNEL_NAME_RULE}, or a whole number`)),
  ),
);

/** A path parameter that must be an id; INVALID_MESSAGE otherwise. */
export const idParam = nameField;

const label = (max: number) => z.string().check(z.trim(), z.minLength(1), z.maxLength(max));

export const deviceBody = z.lazy(() => z.object({ name: label(200), status: z.optional(label(64)) }));
export const deviceStatusBody = z.lazy(() => z.object({ status: label(64) }));
export const sensorBody = z.lazy(() =>
  z.object({ device_id: entityId, sensor_type: label(64), unit: label(32) }),
);

/** ISO 8601 with a zone (`Z` or `±hh:mm`): a reading's time must not depend on the server's zone. */
export const isoTimestamp = z.lazy(() => z.iso.datetime({ offset: true }));

/** One reading, as a `sensor_data` frame or an element of `POST /v1/sensor-data` carries it. */
export const readingSchemaObject = () =>
  z.object({
    sensor_id: entityId,
    value: z.number(),
    timestamp: z.optional(isoTimestamp),
  });
export const readingSchema = z.lazy(readingSchemaObject);

export type ReadingInput = z.infer<typeof readingSchema>;

export const MAX_READINGS_PER_REQUEST = 500;

export const sensorDataBody = z.lazy(() =>
  z.object({
    readings: z.array(z.unknown()).check(z.minLength(1), z.maxLength(MAX_READINGS_PER_REQUEST)),
  }),
);

export const readingsQuery = z.lazy(() =>
  z
    .object({
      from: z.optional(isoTimestamp),
      to: z.optional(isoTimestamp),
      limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(1000)), 100),
      cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(512))),
    })
    .check(
      z.refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.from) <= Date.parse(q.to), {
        message: 'from must not be after to',
      }),
    ),
);
