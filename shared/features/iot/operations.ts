import { ProtocolError } from '../../errors';
import type { Operation, OperationResult } from '../../http';
import { validate } from '../../protocol';
import { ingestReadings } from './ingest';
import { readings } from './readings';
import {
  deviceView,
  getDevice,
  getSensor,
  putDevice,
  putSensor,
  sensorView,
  setDeviceStatus,
} from './registry';
import { deviceBody, deviceStatusBody, idParam, readingsQuery, sensorBody, sensorDataBody } from './schemas';

/** The IoT feature's HTTP operations (PROTOCOL.md section 5); the route table says who may call each. */

const pathId = (params: Record<string, string>): string => {
  const id = params.id ?? '';
  const result = idParam.safeParse(id);
  if (!result.success) {
    throw new ProtocolError('INVALID_MESSAGE', 'id must be 1-128 characters of A-Z a-z 0-9 _ - . @ =');
  }
  return result.data;
};

/** PUT /v1/devices/{id} {name, status?} */
export const putDeviceOperation: Operation = async ({ deps, params, body }) => {
  const input = validate(deviceBody, body);
  const device = await putDevice(deps, pathId(params), {
    name: input.name,
    ...(input.status === undefined ? {} : { status: input.status }),
  });
  return { status: 200, body: deviceView(device) };
};

/** GET /v1/devices/{id} */
export const getDeviceOperation: Operation = async ({ deps, params }) => ({
  status: 200,
  body: deviceView(await getDevice(deps, pathId(params))),
});

/** PUT /v1/devices/{id}/status {status}: stored, and `device_status` to `device:{id}` and `sensors`. */
export const putDeviceStatusOperation: Operation = async ({ deps, params, body }) => {
  const { status } = validate(deviceStatusBody, body);
  const report = await setDeviceStatus(deps, pathId(params), status);
  return {
    status: 202,
    body: {
      id: report.id,
      recipients: report.recipients,
      delivered: report.delivered,
      device: deviceView(report.device),
    },
  };
};

/** PUT /v1/sensors/{id} {device_id, sensor_type, unit}: the device must be registered. */
export const putSensorOperation: Operation = async ({ deps, params, body }) => {
  const input = validate(sensorBody, body);
  const sensor = await putSensor(deps, pathId(params), {
    deviceId: input.device_id,
    sensorType: input.sensor_type,
    unit: input.unit,
  });
  return { status: 200, body: sensorView(sensor) };
};

/** GET /v1/sensors/{id} */
export const getSensorOperation: Operation = async ({ deps, params }) => ({
  status: 200,
  body: sensorView(await getSensor(deps, pathId(params))),
});

/**
 * POST /v1/sensor-data {readings: [...]} (1-500): every reading checked on its own. 202 when all were
 * stored, 207 when some were rejected, 400 (a problem document with the same report) when all were.
 */
export const postSensorDataOperation: Operation = async ({ deps, body, event }) => {
  const { readings: raws } = validate(sensorDataBody, body);
  const report = await ingestReadings(deps, raws);
  const summary = { stored: report.stored.length, rejected: report.rejected };
  if (report.stored.length === 0) {
    const first = report.rejected[0];
    const problem = new ProtocolError(
      'INVALID_MESSAGE',
      `none of the ${raws.length} readings was stored${first ? `; the first: ${first.message}` : ''}`,
    ).toProblem(event.requestContext?.http?.path ?? event.rawPath);
    return problemResult({ ...problem, ...summary });
  }
  return { status: report.rejected.length > 0 ? 207 : 202, body: summary };
};

/** GET /v1/sensors/{id}/readings?from&to&limit&cursor */
export const readingsOperation: Operation = async ({ deps, params, query }) => {
  const q = validate(readingsQuery, query);
  const page = await readings(deps, pathId(params), q);
  return { status: 200, body: page };
};

const problemResult = (body: { status: number }): OperationResult => ({
  status: body.status,
  body,
  headers: { 'content-type': 'application/problem+json' },
});
