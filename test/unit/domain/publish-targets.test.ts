import { describe, expect, it } from 'vitest';
import { deliver } from '../../../shared/operations/publish';
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

    const report = await deliver(world, {
      connection_ids: ['old', 'connecting', 'alive'],
      type: 'direct',
      data: {},
    });

    expect(report).toMatchObject({ recipients: 3, delivered: 1, gone: 1 });
    expect(world.connections.records.has('old')).toBe(false);
    expect(world.connections.records.has('connecting')).toBe(true);
    expect(world.gateway.posts.map((p) => p.connectionId)).toEqual(['alive']);
  });
});
