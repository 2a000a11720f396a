import { ProtocolError } from '../../core/errors';
import { isoTime } from '../../core/protocol';
import type { IotDeps } from './deps';
import { InvalidCursorError } from './store';

export interface ReadingsQuery {
  from?: string | undefined;
  to?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

/**
 * A sensor's readings between `from` and `to` (both inclusive), oldest first, a page at a time: `next` is
 * the `cursor` of the following page, null on the last one.
 */
export async function readings(
  deps: Pick<IotDeps, 'iot' | 'iotRegistry'>,
  sensorId: string,
  query: ReadingsQuery,
) {
  if (!(await deps.iotRegistry.sensor(sensorId))) {
    throw new ProtocolError('NOT_FOUND', `no sensor "${sensorId}"`);
  }
  try {
    const page = await deps.iot.readings(sensorId, {
      limit: query.limit,
      // Stored times are UTC with milliseconds: the bounds are brought to the same form to compare.
      ...(query.from === undefined ? {} : { from: isoTime(Date.parse(query.from)) }),
      ...(query.to === undefined ? {} : { to: isoTime(Date.parse(query.to)) }),
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
    });
    return {
      readings: page.readings.map((r) => ({ sensor_id: r.sensorId, value: r.value, timestamp: r.timestamp })),
      next: page.next,
    };
  } catch (error) {
    if (error instanceof InvalidCursorError)
      throw new ProtocolError('INVALID_MESSAGE', `cursor: ${error.message}`);
    throw error;
  }
}
