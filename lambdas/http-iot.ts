import {
  getDeviceOperation,
  getSensorOperation,
  postSensorDataOperation,
  putDeviceOperation,
  putDeviceStatusOperation,
  putSensorOperation,
  readingsOperation,
} from '../shared/features/iot/operations';
import { httpHandler } from '../shared/http';

export const handler = httpHandler('http-iot', {
  putDevice: putDeviceOperation,
  getDevice: getDeviceOperation,
  putDeviceStatus: putDeviceStatusOperation,
  putSensor: putSensorOperation,
  getSensor: getSensorOperation,
  ingest: postSensorDataOperation,
  readings: readingsOperation,
});
