import { describe, expect, it } from 'vitest';
import type { ProtocolError } from '../../../shared/core/errors';
import {
  PRESENCE_MAX_USERS,
  presenceOperation,
  readPresence,
} from '../../../shared/features/channels/presence';
import { fakeWorld } from '../../support/fakes';
import { operationInput } from '../../support/operations';
import { anonymous, TestClient, user } from '../../support/world';

describe('presence', () => {
  it('counts connections, lists each user once, and counts the anonymous ones', async () => {
    const world = fakeWorld();
    await TestClient.connect(world, 'c1', user('bob', { username: 'Bob' }), 'room:p');
    await TestClient.connect(world, 'c2', user('alice', { username: 'Alice' }), 'room:p');
    await TestClient.connect(world, 'c3', user('bob', { username: 'Bob' }), 'room:p');
    await TestClient.connect(world, 'c4', anonymous, 'room:p');
    await TestClient.connect(world, 'c5', user('carol'), 'room:other');
    const result = await presenceOperation(world)(
      operationInput(anonymous, { params: { channel: 'room:p' } }),
    );
    expect(result).toEqual({
      status: 200,
      body: {
        channel: 'room:p',
        count: 4,
        users: [
          { id: 'alice', username: 'Alice' },
          { id: 'bob', username: 'Bob' },
        ],
        anonymous: 1,
      },
    });
  });

  it(`lists at most ${PRESENCE_MAX_USERS} users but counts every connection`, async () => {
    const world = fakeWorld({ FANOUT_PAGE_SIZE: '7' });
    for (let i = 0; i < 130; i++) await TestClient.connect(world, `c${i}`, user(`u${i}`), 'room:big');
    const presence = await readPresence(world, 'room:big');
    expect(presence.count).toBe(130);
    expect(presence.users).toHaveLength(PRESENCE_MAX_USERS);
    expect(new Set(presence.users.map((u) => u.id)).size).toBe(PRESENCE_MAX_USERS);
    expect(presence.anonymous).toBe(0);
  });

  it("is refused to whoever may not subscribe: 401 anonymous, 403 another user's channel", async () => {
    const world = fakeWorld();
    const call = (principal = anonymous) =>
      presenceOperation(world)(operationInput(principal, { params: { channel: 'user:bob' } })).then(
        () => null,
        (e: ProtocolError) => e.status,
      );
    expect(await call()).toBe(401);
    expect(await call(user('alice'))).toBe(403);
  });
});
