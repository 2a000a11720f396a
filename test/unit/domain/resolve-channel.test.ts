import { describe, expect, it } from 'vitest';
import { FrameContext } from '../../../shared/domain/context';
import { resolveChannel } from '../../../shared/domain/resolve-channel';
import { fakeWorld } from '../../support/fakes';
import { anonymous, TestClient } from '../../support/world';

describe('resolveChannel (the channel? of namespace frames)', () => {
  const setup = async (channels?: string) => {
    const world = fakeWorld();
    await TestClient.connect(world, 'c1', anonymous, channels);
    return new FrameContext(world, 'c1', anonymous);
  };

  it('uses the one subscribed channel of the namespace when none is named', async () => {
    const ctx = await setup('room:a,counter:x');
    expect((await resolveChannel(ctx, undefined, 'room')).id).toBe('room:a');
  });

  it.each([
    ['no channel of the namespace', 'counter:x', /on no room: channel/],
    ['two channels of the namespace', 'room:a,room:b', /on 2 room: channels/],
  ])('is CHANNEL_REQUIRED with %s', async (_, channels, message) => {
    const ctx = await setup(channels);
    await expect(resolveChannel(ctx, undefined, 'room')).rejects.toMatchObject({
      code: 'CHANNEL_REQUIRED',
      message,
    });
  });

  it('takes a named channel, which must be of the namespace', async () => {
    const ctx = await setup('room:a,room:b');
    expect((await resolveChannel(ctx, 'room:b', 'room')).id).toBe('room:b');
    await expect(resolveChannel(ctx, 'counter:x', 'room')).rejects.toMatchObject({ code: 'INVALID_CHANNEL' });
  });
});
