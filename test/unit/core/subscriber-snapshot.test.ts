import { describe, expect, it } from 'vitest';
import { SubscriberSnapshot } from '../../../shared/core/delivery/subscriber-snapshot';
import { publish } from '../../../shared/core/publish';
import { fakeWorld } from '../../support/fakes';
import { TestClient } from '../../support/world';

describe('SubscriberSnapshot', () => {
  it('reads a channel once for many events, and stops posting to a connection found gone', async () => {
    const world = fakeWorld();
    for (const id of ['a', 'b', 'c']) await TestClient.connect(world, id, undefined, 'sensors');
    let reads = 0;
    const subscribers = world.connections.subscribers.bind(world.connections);
    world.connections.subscribers = (channel, query) => {
      reads++;
      return subscribers(channel, query);
    };
    world.gateway.gone.add('b');
    world.clock.advance(60_000); // past the grace a connection still inside $connect gets (core/delivery/post.ts)
    const deps = { ...world, connections: new SubscriberSnapshot(world.connections) };
    for (let n = 0; n < 10; n++) {
      await publish(deps, { channels: [world.channels.parse('sensors')], event: { type: 'tick', n } });
    }
    expect(reads).toBe(1);
    expect(world.gateway.posts.filter((p) => p.connectionId === 'a')).toHaveLength(10);
    expect(world.gateway.posts.filter((p) => p.connectionId === 'b')).toHaveLength(0);
    expect(world.connections.records.has('b')).toBe(false); // removed once, on the first 410
  });
});
