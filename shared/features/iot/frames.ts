import * as z from 'zod/mini';
import { ProtocolError } from '../../core/errors';
import { clientMessageId } from '../../core/protocol';
import { defineFrame, type FrameHandler } from '../../core/session/frames';
import type { IotDeps } from './deps';
import { ingestReadings } from './ingest';
import { readingSchemaObject } from './schemas';

export const sensorDataFrame = z.lazy(() =>
  z.extend(readingSchemaObject(), {
    type: z.literal('sensor_data'),
    id: z.optional(clientMessageId),
  }),
);

/**
 * `sensor_data`: a device (or anyone: the namespace is anonymous, as in the seed) sends one reading; no
 * subscription is needed. Answer: `ack` with the reading's id, or an error frame. An unknown sensor is
 * INVALID_MESSAGE here: NOT_FOUND is an HTTP code a WebSocket client never sees.
 */
export const sensorData = (deps: IotDeps): FrameHandler =>
  defineFrame({
    schema: sensorDataFrame,
    async handle(ctx, frame) {
      const { stored, rejected } = await ingestReadings(deps, [frame]);
      const refused = rejected[0];
      if (refused) {
        throw new ProtocolError(
          refused.code === 'NOT_FOUND' ? 'INVALID_MESSAGE' : refused.code,
          refused.message,
        );
      }
      const reading = stored[0];
      if (!reading) throw new Error('a reading was neither stored nor rejected');
      ctx.reply({
        type: 'ack',
        id: reading.id,
        ...(frame.id === undefined ? {} : { ref: frame.id }),
        sensor_id: reading.sensorId,
        timestamp: reading.timestamp,
      });
    },
  });
