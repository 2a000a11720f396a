import type { Dialect } from '../../core/dialect';
import type { ServerFrame } from '../../core/protocol';
import { asSent, djangoId, isAck } from './common';

/**
 * Seed 002 (`/ws/sensor-data/`, `/ws/device/{id}/`, `/ws/sensor/{id}/`): `sensor_data_update` {type,
 * sensor_id, sensor_type, device_id, device_name, value, unit, timestamp}, `device_status` {type, device_id,
 * device_name, status, timestamp}, `error` {type, message, code}; whole-number ids as numbers. Its clients
 * send `sensor_data` {sensor_id, value, timestamp?}, the native frame.
 */
export function render002(frame: ServerFrame): ServerFrame | null {
  const { type, timestamp } = frame;
  switch (type) {
    case 'sensor_data_update':
      return {
        type,
        sensor_id: djangoId(frame.sensor_id),
        sensor_type: frame.sensor_type,
        device_id: djangoId(frame.device_id),
        device_name: frame.device_name,
        value: frame.value,
        unit: frame.unit,
        timestamp,
      };
    case 'device_status':
      return {
        type,
        device_id: djangoId(frame.device_id),
        device_name: frame.device_name,
        status: frame.status,
        timestamp,
      };
    case 'error':
      return { type, message: frame.message, code: frame.code };
    default:
      return isAck(frame) ? null : frame;
  }
}

const dialect = (consumer: string): Dialect => ({
  name: `seed002.${consumer}`,
  render: render002,
  parse: asSent,
});

export const seed002SensorData = dialect('sensor-data');
export const seed002Device = dialect('device');
export const seed002Sensor = dialect('sensor');
