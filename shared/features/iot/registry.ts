import { parseChannel } from '../../channels';
import type { Deps } from '../../domain/context';
import { publishEvent } from '../../domain/publish';
import { ProtocolError } from '../../errors';
import { isoTime } from '../../protocol';
import { registryCacheOf } from './registry-cache';
import type { Device, Sensor } from './store';

/** The registry as the HTTP API shows it (the seed's field names). */
export const deviceView = (d: Device) => ({
  id: d.id,
  name: d.name,
  status: d.status,
  updated_at: isoTime(d.updatedAt),
});

export const sensorView = (s: Sensor) => ({
  id: s.id,
  device_id: s.deviceId,
  sensor_type: s.sensorType,
  unit: s.unit,
  updated_at: isoTime(s.updatedAt),
});

export async function putDevice(deps: Deps, id: string, input: { name: string; status?: string }) {
  const device = await deps.iot.putDevice({ id, ...input, now: deps.clock.now() });
  registryCacheOf(deps.iot, deps.clock).forget('device', id);
  return device;
}

export async function getDevice(deps: Deps, id: string): Promise<Device> {
  const device = await deps.iot.getDevice(id);
  if (!device) throw new ProtocolError('NOT_FOUND', `no device "${id}"`);
  return device;
}

/** Registers or changes a sensor; its device must be registered first. */
export async function putSensor(
  deps: Deps,
  id: string,
  input: { deviceId: string; sensorType: string; unit: string },
): Promise<Sensor> {
  if (!(await deps.iot.getDevice(input.deviceId))) {
    throw new ProtocolError(
      'NOT_FOUND',
      `device_id: no device "${input.deviceId}"; register it with PUT /v1/devices/${input.deviceId}`,
    );
  }
  const sensor = await deps.iot.putSensor({ id, ...input, now: deps.clock.now() });
  registryCacheOf(deps.iot, deps.clock).forget('sensor', id);
  return sensor;
}

export async function getSensor(deps: Deps, id: string): Promise<Sensor> {
  const sensor = await deps.iot.getSensor(id);
  if (!sensor) throw new ProtocolError('NOT_FOUND', `no sensor "${id}"`);
  return sensor;
}

export interface StatusReport {
  device: Device;
  id: string;
  recipients: number;
  delivered: number;
}

/**
 * Stores a device's status and announces it as `device_status` on `device:{id}` and `sensors`: one event,
 * one id, and a connection on both channels gets it once.
 */
export async function setDeviceStatus(deps: Deps, id: string, status: string): Promise<StatusReport> {
  const device = await deps.iot.setDeviceStatus(id, status, deps.clock.now());
  if (!device) throw new ProtocolError('NOT_FOUND', `no device "${id}"`);
  registryCacheOf(deps.iot, deps.clock).forget('device', id);
  const eventId = deps.ids.next();
  const reached = new Set<string>();
  const report: StatusReport = { device, id: eventId, recipients: 0, delivered: 0 };
  for (const channel of [`device:${id}`, 'sensors'].map(parseChannel)) {
    const r = await publishEvent(deps, {
      channel,
      id: eventId,
      reached,
      event: { type: 'device_status', device_id: device.id, device_name: device.name, status },
    });
    report.recipients += r.recipients;
    report.delivered += r.delivered;
  }
  return report;
}
