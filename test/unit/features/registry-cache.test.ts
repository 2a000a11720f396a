import { describe, expect, it } from 'vitest';
import { REGISTRY_CACHE_MS, RegistryCache } from '../../../shared/features/iot/registry-cache';
import type { Sensor } from '../../../shared/features/iot/store';
import { FakeClock, FakeIotStore } from '../../support/fakes';

const sensor: Omit<Sensor, 'updatedAt'> & { now: number } = {
  id: 's1',
  deviceId: 'd1',
  sensorType: 't',
  unit: 'c',
  now: 0,
};

describe('RegistryCache', () => {
  it('shares one read between concurrent lookups of one id', async () => {
    const store = new FakeIotStore();
    await store.putSensor(sensor);
    const cache = new RegistryCache(store, new FakeClock());
    const found = await Promise.all([cache.sensor('s1'), cache.sensor('s1'), cache.sensor('s1')]);
    expect(found.map((s) => s?.id)).toEqual(['s1', 's1', 's1']);
    expect(store.reads).toBe(1);
  });

  it('reads again after its time, or at once after forget', async () => {
    const store = new FakeIotStore();
    await store.putSensor(sensor);
    const clock = new FakeClock();
    const cache = new RegistryCache(store, clock);
    await cache.sensor('s1');
    clock.advance(REGISTRY_CACHE_MS - 1);
    await cache.sensor('s1');
    expect(store.reads).toBe(1);
    clock.advance(1);
    await cache.sensor('s1');
    expect(store.reads).toBe(2);
    cache.forget('sensor', 's1');
    await cache.sensor('s1');
    expect(store.reads).toBe(3);
  });

  it('keeps neither a miss nor a failed read', async () => {
    const store = new FakeIotStore();
    const cache = new RegistryCache(store, new FakeClock());
    expect(await cache.device('d1')).toBeNull();
    await store.putDevice({ id: 'd1', name: 'Pump', now: 0 });
    expect((await cache.device('d1'))?.name).toBe('Pump');

    let fail = true;
    const flaky = new RegistryCache(
      {
        getDevice: async () => {
          if (fail) throw new Error('throttled');
          return { id: 'd2', name: 'Fan', status: 'unknown', updatedAt: 0 };
        },
        getSensor: async () => null,
      },
      new FakeClock(),
    );
    await expect(flaky.device('d2')).rejects.toThrow('throttled');
    fail = false;
    expect((await flaky.device('d2'))?.name).toBe('Fan');
  });
});
