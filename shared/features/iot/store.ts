/**
 * The IoT feature's storage port (seed 002): the device and sensor registry that enriches readings, and
 * the readings themselves, kept per sensor in time order. The DynamoDB implementation is
 * shared/adapters/dynamo/iot-store.ts; tests use the fake in test/support/fakes.ts.
 */
export interface Device {
  id: string;
  name: string;
  status: string;
  /** Epoch milliseconds of the last change (registration or status). */
  updatedAt: number;
}

export interface Sensor {
  id: string;
  deviceId: string;
  sensorType: string;
  unit: string;
  updatedAt: number;
}

export interface StoredReading {
  sensorId: string;
  /** The reading's id (also the id of the `sensor_data_update` it was fanned out as). */
  id: string;
  value: number;
  /** ISO 8601 UTC with milliseconds: the reading's own time. */
  timestamp: string;
  /** Epoch seconds: TTL. */
  expiresAt: number;
}

export interface ReadingRange {
  /** ISO 8601 UTC, inclusive; the beginning of time when absent. */
  from?: string;
  /** ISO 8601 UTC, inclusive; the end of time when absent. */
  to?: string;
  limit: number;
  /** The `next` of the previous page. */
  cursor?: string;
}

export interface ReadingPage {
  /** Oldest first. */
  readings: StoredReading[];
  /** Where the next page starts (opaque), or null on the last page. */
  next: string | null;
}

export interface IotStore {
  getDevice(id: string): Promise<Device | null>;
  /** Creates or renames a device. `status` absent: kept as it is ('unknown' for a new device). */
  putDevice(input: { id: string; name: string; status?: string; now: number }): Promise<Device>;
  /** Null when there is no such device (nothing is written then). */
  setDeviceStatus(id: string, status: string, now: number): Promise<Device | null>;
  getSensor(id: string): Promise<Sensor | null>;
  putSensor(input: Omit<Sensor, 'updatedAt'> & { now: number }): Promise<Sensor>;
  /** Stores readings (any number, any sensors). */
  putReadings(readings: readonly StoredReading[]): Promise<void>;
  /**
   * One sensor's readings in a time range, oldest first; those past their expiresAt are left out. Throws
   * InvalidCursorError for a cursor that is not one of this query's.
   */
  readings(sensorId: string, range: ReadingRange): Promise<ReadingPage>;
}

export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

export const UNKNOWN_STATUS = 'unknown';
