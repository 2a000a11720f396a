import { defineFeature } from '../../core/feature';
import type { IotDeps } from './deps';
import { sensorData } from './frames';
import { iotManifest } from './manifest';

/** IoT (seed 002): `sensor_data` frames; the registry and readings API is in operations.ts. */
export const iot = defineFeature(iotManifest, {
  frames: (deps: IotDeps) => ({ typed: { sensor_data: sensorData(deps) }, typeless: {} }),
});
