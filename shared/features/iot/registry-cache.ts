import type { Clock } from '../../core/ports';
import type { Device, IotStore, Sensor } from './store';

/** How long a registry entry is reused: a rename reaches other containers' readings within this. */
export const REGISTRY_CACHE_MS = 5_000;
const MAX_ENTRIES = 10_000;

interface Entry<T> {
  at: number;
  value: Promise<T | null>;
}

/**
 * Registry lookups for enriching readings, kept for a few seconds per container: a device sending one
 * `sensor_data` frame a second, or a batch of 500, costs a registry read every few seconds, not one per
 * reading. Concurrent lookups of one id share one read. Only what exists is kept: a sensor registered right
 * after a reading was refused for being unknown is found by the next reading. The runtime holds one
 * (shared/app/runtime.ts), so it lives as long as the container.
 */
export class RegistryCache {
  readonly #devices = new Map<string, Entry<Device>>();
  readonly #sensors = new Map<string, Entry<Sensor>>();

  constructor(
    private readonly store: Pick<IotStore, 'getDevice' | 'getSensor'>,
    private readonly clock: Clock,
    private readonly ttlMs = REGISTRY_CACHE_MS,
  ) {}

  device(id: string): Promise<Device | null> {
    return this.#lookup(this.#devices, id, () => this.store.getDevice(id));
  }

  sensor(id: string): Promise<Sensor | null> {
    return this.#lookup(this.#sensors, id, () => this.store.getSensor(id));
  }

  /** Drops what this container knows of a device or sensor (it was just changed here). */
  forget(kind: 'device' | 'sensor', id: string): void {
    (kind === 'device' ? this.#devices : this.#sensors).delete(id);
  }

  #lookup<T>(map: Map<string, Entry<T>>, id: string, read: () => Promise<T | null>): Promise<T | null> {
    const now = this.clock.now();
    const hit = map.get(id);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    if (map.size >= MAX_ENTRIES) map.clear();
    const entry: Entry<T> = { at: now, value: read() };
    map.set(id, entry);
    entry.value.then(
      (found) => {
        if (found === null && map.get(id) === entry) map.delete(id);
      },
      () => {
        if (map.get(id) === entry) map.delete(id);
      },
    );
    return entry.value;
  }
}
