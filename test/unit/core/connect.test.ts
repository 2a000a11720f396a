import { describe, expect, it } from 'vitest';
import { connect, disconnect } from '../../../shared/core/connections';
import { fakeWorld } from '../../support/fakes';
import { anonymous, user } from '../../support/world';

describe('connect', () => {
  it('subscribes the channels asked for and the user channel, once each', async () => {
    const world = fakeWorld();
    const result = await connect(world, {
      connectionId: 'c1',
      principal: user('alice'),
      channels: ' room:a , room:a,,sensors ',
    });
    expect(result).toEqual({
      ok: true,
      channels: ['room:a', 'sensors', 'user:alice'],
      // Rooms announce joins: that is left to the after-connect Lambda. room:a has 8 shards; the whole count
      // $connect read beside its join (1) does not decide below the range: a join at the same moment on
      // another shard could be missing from it. So the job reads the count again.
      afterConnect: {
        connectionId: 'c1',
        principal: user('alice'),
        channels: ['room:a', 'sensors', 'user:alice'],
      },
    });
    expect(world.connections.channelsOf('c1').sort()).toEqual(['room:a', 'sensors', 'user:alice']);
    const record = await world.connections.get('c1');
    expect(record?.expiresAt).toBe(Math.floor(world.clock.now() / 1000) + 7200);
  });

  it('refuses more channels than a connection may have with 400, storing nothing', async () => {
    const world = fakeWorld({ MAX_CHANNELS_PER_CONNECTION: '3' });
    const result = await connect(world, {
      connectionId: 'c1',
      principal: user('alice'),
      channels: 'room:1,room:2,room:3',
    });
    expect(result).toMatchObject({ ok: false, status: 400 });
    expect(world.connections.records.size).toBe(0);
  });

  it('lets an anonymous connection subscribe only to anonymous namespaces', async () => {
    const world = fakeWorld();
    expect(
      await connect(world, { connectionId: 'a', principal: anonymous, channels: 'room:x,counter:y' }),
    ).toMatchObject({ ok: true });
    expect(
      await connect(world, { connectionId: 'b', principal: anonymous, channels: 'user:x' }),
    ).toMatchObject({
      ok: false,
      status: 401,
    });
  });

  describe('the per-user connection limit', () => {
    const limited = () => fakeWorld({ MAX_CONNECTIONS_PER_USER: '3' });

    it('refuses the connection over the limit with 429', async () => {
      const world = limited();
      for (const id of ['c1', 'c2', 'c3'])
        await connect(world, { connectionId: id, principal: user('alice') });
      const result = await connect(world, { connectionId: 'c4', principal: user('alice') });
      expect(result).toMatchObject({ ok: false, status: 429, error: { code: 'TOO_MANY_CONNECTIONS' } });
      expect(world.connections.records.has('c4')).toBe(false);
      // Other users are not affected.
      expect(await connect(world, { connectionId: 'b1', principal: user('bob') })).toMatchObject({
        ok: true,
      });
    });

    it('checks recorded connections with GET @connections and removes the gone ones before refusing', async () => {
      const world = limited();
      for (const id of ['c1', 'c2', 'c3'])
        await connect(world, { connectionId: id, principal: user('alice') });
      world.gateway.gone.add('c2'); // died without $disconnect
      const result = await connect(world, { connectionId: 'c4', principal: user('alice') });
      expect(result).toMatchObject({ ok: true });
      expect([...world.connections.records.keys()].sort()).toEqual(['c1', 'c3', 'c4']);
      expect(world.connections.channelsOf('c2')).toEqual([]);
    });
  });
});

describe('disconnect', () => {
  it('removes the connection and every subscription, and is harmless when repeated', async () => {
    const world = fakeWorld();
    await connect(world, { connectionId: 'c1', principal: user('alice'), channels: 'room:a,room:b' });
    await disconnect(world, 'c1');
    expect(world.connections.records.size).toBe(0);
    expect(world.connections.channelsOf('c1')).toEqual([]);
    await expect(disconnect(world, 'c1')).resolves.toBeUndefined();
  });
});
