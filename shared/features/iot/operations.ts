import { ProtocolError } from '../../core/errors';
import type { Operation, OperationResult } from '../../core/operations';
import { CHANNEL_NAME_RULE, validate } from '../../core/protocol';
import { pushAnswer } from '../../core/publish';
import type { IotDeps } from './deps';
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
  if (!result.success) throw new ProtocolError('INVALID_MESSAGE', `id must be ${CHANNEL_NAME_RULE}`);
  return result.data;
};

export function iotOperations(deps: IotDeps) {
  /** PUT /v1/devices/{id} {name, status?} */
  const putDeviceOperation: Operation = async ({ params, body }) => {
    const input = validate(deviceBody, body);
    const device = await putDevice(deps, pathId(params), {
      name: input.name,
      ...(input.status === undefined ? {} : { status: input.status }),
    });
    return { status: 200, body: deviceView(device) };
  };

  /** GET /v1/devices/{id} */
  const getDeviceOperation: Operation = async ({ params }) => ({
    status: 200,
    body: deviceView(await getDevice(deps, pathId(params))),
  });

  /** PUT /v1/devices/{id}/status {status}: stored, and `device_status` to `device:{id}` and `sensors`. */
  const putDeviceStatus: Operation = async ({ params, body }) => {
    const { status } = validate(deviceStatusBody, body);
    const { device, publication } = await setDeviceStatus(deps, pathId(params), status);
    return { status: 202, body: { ...pushAnswer(publication), device: deviceView(device) } };
  };

  /** PUT /v1/sensors/{id} {device_id, sensor_type, unit}: the device must be registered. */
  const putSensorOperation: Operation = async ({ params, body }) => {
    const input = validate(sensorBody, body);
    const sensor = await putSensor(deps, pathId(params), {
      deviceId: input.device_id,
      sensorType: input.sensor_type,
      unit: input.unit,
    });
    return { status: 200, body: sensorView(sensor) };
  };

  /** GET /v1/sensors/{id} */
  const getSensorOperation: Operation = async ({ params }) => ({
    status: 200,
    body: sensorView(await getSensor(deps, pathId(params))),
  });

  /**
   * POST /v1/sensor-data {readings: [...]} (1-500): every reading checked on its own. 202 when all were
   * stored, 207 when some were rejected, 400 (a problem document with the same report) when all were.
   */
  const ingest: Operation = async ({ body, path }) => {
    const { readings: raws } = validate(sensorDataBody, body);
    const report = await ingestReadings(deps, raws);
    const summary = { stored: report.stored.length, rejected: report.rejected };
    if (report.stored.length === 0) {
      const first = report.rejected[0];
      const problem = new ProtocolError(
        'INVALID_MESSAGE',
        `none of the ${raws.length} readings was stored${first ? `; the first: ${first.message}` : ''}`,
      ).toProblem(path);
      return problemResult({ ...problem, ...summary });
    }
    return { status: report.rejected.length > 0 ? 207 : 202, body: summary };
  };

  /** GET /v1/sensors/{id}/readings?from&to&limit&cursor */
  const readingsOperation: Operation = async ({ params, query }) => {
    const q = validate(readingsQuery, query);
    return { status: 200, body: await readings(deps, pathId(params), q) };
  };

  return {
    putDevice: putDeviceOperation,
    getDevice: getDeviceOperation,
    putDeviceStatus,
    putSensor: putSensorOperation,
    getSensor: getSensorOperation,
    ingest,
    readings: readingsOperation,
  };
}

const problemResult = (body: { status: number }): OperationResult => ({
  status: body.status,
  body,
  headers: { 'content-type': 'application/problem+json' },
});
