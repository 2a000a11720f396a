import { describe, expect, it } from 'vitest';
import { FrameContext } from '../../../shared/core/session/context';
import { resolveChannel } from '../../../shared/core/session/resolve-channel';
import { counter } from '../../../shared/features/counters/manifest';
import { room } from '../../../shared/features/rooms/manifest';
import { fakeWorld } from '../../support/fakes';
import { anonymous, TestClient } from '../../support/world';

describe('resolveChannel (the channel? of namespace frames)', () => {
  const setup = async (channels?: string) => {
    const world = fakeWorld();
    await TestClient.connect(world, 'c1', anonymous, channels);
    return { world, ctx: new FrameContext('c1', anonymous, world.clock) };
  };

  it('uses the one subscribed channel of the namespace when none is named', async () => {
    const { world, ctx } = await setup('room:a,counter:x');
    expect((await resolveChannel(world, ctx, undefined, room)).id).toBe('room:a');
  });

  it.each([
    ['no channel of the namespace', 'counter:x', /on no room: channel/],
    ['two channels of the namespace', 'room:a,room:b', /on 2 room: channels/],
  ])('is CHANNEL_REQUIRED with %s', async (_, channels, message) => {
    const { world, ctx } = await setup(channels);
    await expect(resolveChannel(world, ctx, undefined, room)).rejects.toMatchObject({
      code: 'CHANNEL_REQUIRED',
      message,
    });
  });

  it('takes a named channel, which must be of the namespace', async () => {
    const { world, ctx } = await setup('room:a,room:b');
    expect((await resolveChannel(world, ctx, 'room:b', room)).id).toBe('room:b');
    await expect(resolveChannel(world, ctx, 'counter:x', room)).rejects.toMatchObject({
      code: 'INVALID_CHANNEL',
    });
    await expect(
      resolveChannel(world, ctx, 'counter:x', counter, { subscribed: true }),
    ).rejects.toMatchObject({
      code: 'NOT_SUBSCRIBED',
    });
  });
});
