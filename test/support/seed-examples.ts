/**
 * Seed 002's outgoing frames as its document shows them ("Message Format": "Outgoing Messages", "Device
 * Status Updates"), with the timestamp a test expects: what the unit tests render and what the document's
 * own Python client must print.
 */
export const seed002SensorDataUpdate = (timestamp: unknown) => ({
  type: 'sensor_data_update',
  sensor_id: 1,
  sensor_type: 'temperature',
  device_id: 1,
  device_name: 'Hydroponic System 1',
  value: 25.5,
  unit: 'celsius',
  timestamp,
});

export const seed002DeviceStatus = (timestamp: unknown) => ({
  type: 'device_status',
  device_id: 1,
  device_name: 'Hydroponic System 1',
  status: 'active',
  timestamp,
});
