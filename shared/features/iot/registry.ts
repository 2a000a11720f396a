import { channelIn } from '../../core/channels';
import { ProtocolError } from '../../core/errors';
import { isoTime } from '../../core/protocol';
import { type Publication, publish } from '../../core/publish';
import type { IotDeps } from './deps';
import { device as deviceNamespace, sensors } from './manifest';
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

type RegistryDeps = Pick<IotDeps, 'iot' | 'iotRegistry' | 'clock'>;

export async function putDevice(deps: RegistryDeps, id: string, input: { name: string; status?: string }) {
  const device = await deps.iot.putDevice({ id, ...input, now: deps.clock.now() });
  deps.iotRegistry.forget('device', id);
  return device;
}

export async function getDevice(deps: Pick<IotDeps, 'iot'>, id: string): Promise<Device> {
  const device = await deps.iot.getDevice(id);
  if (!device) throw new ProtocolError('NOT_FOUND', `no device "${id}"`);
  return device;
}

/** Registers or changes a sensor; its device must be registered first. */
export async function putSensor(
  deps: RegistryDeps,
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
  deps.iotRegistry.forget('sensor', id);
  return sensor;
}

export async function getSensor(deps: Pick<IotDeps, 'iot'>, id: string): Promise<Sensor> {
  const sensor = await deps.iot.getSensor(id);
  if (!sensor) throw new ProtocolError('NOT_FOUND', `no sensor "${id}"`);
  return sensor;
}

/**
 * Stores a device's status and announces it as `device_status` on `device:{id}` and `sensors`: one event,
 * one id, and a connection on both channels gets it once.
 */
export async function setDeviceStatus(
  deps: IotDeps,
  id: string,
  status: string,
): Promise<{ device: Device; publication: Publication }> {
  const device = await deps.iot.setDeviceStatus(id, status, deps.clock.now());
  if (!device) throw new ProtocolError('NOT_FOUND', `no device "${id}"`);
  deps.iotRegistry.forget('device', id);
  const publication = await publish(deps, {
    channels: [channelIn(deviceNamespace, id), channelIn(sensors, null)],
    event: { type: 'device_status', device_id: device.id, device_name: device.name, status },
  });
  return { device, publication };
}
