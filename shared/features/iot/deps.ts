import type { PublishDeps } from '../../core/publish';
import type { RegistryCache } from './registry-cache';
import type { IotStore } from './store';

/** What the IoT feature uses of the runtime. */
export type IotDeps = PublishDeps & {
  iot: IotStore;
  /** The runtime's registry cache (one per container). */
  iotRegistry: RegistryCache;
  config: { limits: { sensorRetentionDays: number } };
};
