import { describe, expect, it } from 'vitest';
import { channelIn, userChannel, userNamespace } from '../../../shared/core/channels';
import { connect } from '../../../shared/core/connections';
import { fakeWorld } from '../../support/fakes';
import { TestClient, user } from '../../support/world';

describe('the channel of a user', () => {
  it.each([
    ['3f1c2a9e-8b7d-4c1e-9f00-123456789abc', 'user:3f1c2a9e-8b7d-4c1e-9f00-123456789abc'],
    ['alice@example.com', 'user:alice@example.com'],
    ['auth0|5f7c8ec7c33c6c004bbafe82', 'user:auth0=7C5f7c8ec7c33c6c004bbafe82'],
    ['google-oauth2|1234', 'user:google-oauth2=7C1234'],
    ['a+b=c', 'user:a=2Bb=3Dc'],
    ['zoë', 'user:zo=C3=AB'],
  ])('of %s is %s, a valid channel name', (sub, channel) => {
    expect(userChannel(sub)).toBe(channel);
    expect(channelIn(userNamespace, channel.slice('user:'.length)).id).toBe(channel);
  });

  it('never maps two subjects to one channel', () => {
    const subs = ['a|b', 'a=7Cb', 'a=b', 'a=3Db', 'ab'];
    expect(new Set(subs.map(userChannel)).size).toBe(subs.length);
  });

  it('lets a user whose sub is no channel name connect, and only that user subscribe to its channel', async () => {
    const world = fakeWorld();
    const sub = 'auth0|5f7c8ec7c33c6c004bbafe82';
    expect(await connect(world, { connectionId: 'c1', principal: user(sub) })).toEqual({
      ok: true,
      channels: ['user:auth0=7C5f7c8ec7c33c6c004bbafe82'],
      afterConnect: null, // nothing happens on a join of a user channel
    });
    const other = await TestClient.connect(world, 'c2', user('auth0|other'));
    expect(await other.request({ type: 'subscribe', channel: userChannel(sub) })).toMatchObject({
      code: 'FORBIDDEN',
    });
  });
});
