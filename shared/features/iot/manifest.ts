import type { NamespaceDefinition } from '../../core/channels';
import type { FeatureManifest } from '../../core/feature';

const readingsNamespace = {
  naming: 'required',
  audience: 'anyone',
  clientPublish: false,
  publishRequiresSubscription: false,
  // Readings are kept per sensor (GET /v1/sensors/{id}/readings), not as channel history.
  history: null,
} as const;

/** `sensors` (seed 002): every reading and device status; devices send `sensor_data`, dashboards watch. */
export const sensors = {
  ...readingsNamespace,
  name: 'sensors',
  naming: 'none',
} as const satisfies NamespaceDefinition;
/** `device:{id}`: one device's readings and status (and seed 000's locations). */
export const device = { ...readingsNamespace, name: 'device' } as const satisfies NamespaceDefinition;
/** `sensor:{id}`: one sensor's readings. */
export const sensor = { ...readingsNamespace, name: 'sensor' } as const satisfies NamespaceDefinition;

export const iotManifest = {
  name: 'iot',
  namespaces: [sensors, device, sensor],
  frames: ['sensor_data'],
  typeless: [],
} as const satisfies FeatureManifest;
