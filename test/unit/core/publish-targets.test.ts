import { describe, expect, it } from 'vitest';
import { publishToTargets } from '../../../shared/features/publish/publish';
import { fakeWorld } from '../../support/fakes';
import { TestClient } from '../../support/world';

describe('POST /v1/publish to connection_ids', () => {
  it('removes a connection found gone, but not one still inside its $connect grace', async () => {
    const world = fakeWorld();
    await TestClient.connect(world, 'old');
    world.clock.advance(60_000);
    await TestClient.connect(world, 'connecting'); // just connected: its $connect may not have returned
    await TestClient.connect(world, 'alive');
    world.gateway.gone.add('old');
    world.gateway.gone.add('connecting');

    const { delivery } = await publishToTargets(world, {
      connection_ids: ['old', 'connecting', 'alive'],
      type: 'direct',
      data: {},
    });

    // `connecting` did not get it: it counts as failed, and stays.
    expect(delivery).toEqual({ recipients: 3, delivered: 1, gone: 1, failed: 1, queued: 0 });
    expect(world.connections.records.has('old')).toBe(false);
    expect(world.connections.records.has('connecting')).toBe(true);
    expect(world.gateway.posts.map((p) => p.connectionId)).toEqual(['alive']);
  });
});

describe('POST /v1/publish: the envelope wins for every target', () => {
  it('a connection_ids recipient gets the same envelope as a channel one: data cannot set channel, seq, id or timestamp', async () => {
    const world = fakeWorld();
    await TestClient.connect(world, 'direct');
    const publication = await publishToTargets(world, {
      connection_ids: ['direct'],
      type: 'alert',
      data: { channel: 'room:forged', seq: 999, id: 'forged', timestamp: 'then', type: 'spoof', level: 3 },
    });
    expect(publication.delivery).toMatchObject({ recipients: 1, delivered: 1 });
    expect(world.gateway.framesTo('direct')).toEqual([
      { type: 'alert', id: publication.id, timestamp: '2026-11-23T12:00:00.000Z', level: 3 },
    ]);
  });
});
