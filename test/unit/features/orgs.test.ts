import { describe, expect, it } from 'vitest';
import type { Principal } from '../../../shared/core/auth/principal';
import { notifyUser } from '../../../shared/features/notifications/notify';
import { orgsOperations, publishOrgEvent } from '../../../shared/features/orgs/org-events';
import { type FakeWorld, fakeWorld } from '../../support/fakes';
import { operationInput } from '../../support/operations';
import { TestClient, user } from '../../support/world';

const post = (world: FakeWorld, principal: Principal, org: string, body: unknown) =>
  orgsOperations(world).orgEvent(operationInput(principal, { params: { org }, body }));

describe('organisation events', () => {
  it('reach the members subscribed to org:{id} as `event`, with a seq, and are kept for recovery', async () => {
    const world = fakeWorld();
    const member = await TestClient.connect(world, 'c1', user('alice', { orgs: ['acme'] }), 'org:acme');
    const other = await TestClient.connect(world, 'c2', user('bob', { orgs: ['globex'] }), 'org:globex');
    const result = await publishOrgEvent(world, 'acme', {
      event_type: 'user.joined',
      data: { user_id: 'u-456' },
    });
    expect(member.received()).toEqual([
      {
        type: 'event',
        channel: 'org:acme',
        id: result.id,
        timestamp: '2026-11-23T12:00:00.000Z',
        seq: 1,
        org_id: 'acme',
        event_type: 'user.joined',
        data: { user_id: 'u-456' },
      },
    ]);
    expect(other.received()).toEqual([]);
    expect(world.messages.histories.get('org:acme')).toHaveLength(1);
  });

  it('cannot be made to forge the envelope: data stays inside `data`', async () => {
    const world = fakeWorld();
    const member = await TestClient.connect(world, 'c1', user('alice', { orgs: ['acme'] }), 'org:acme');
    await publishOrgEvent(world, 'acme', { event_type: 'x', data: { type: 'error', channel: 'user:bob' } });
    expect(member.received()[0]).toMatchObject({
      type: 'event',
      channel: 'org:acme',
      data: { type: 'error' },
    });
  });

  it.each([
    ['a member', user('alice', { orgs: ['acme'] }), 202],
    ['a realtime:publish service', user('svc', { scopes: ['realtime:publish'] }), 202],
    ['a realtime:admin service', user('ops', { scopes: ['realtime:admin'] }), 202],
  ])('may be posted by %s', async (_who, principal, status) => {
    const res = await post(fakeWorld(), principal, 'acme', { event_type: 'x', data: {} });
    expect(res).toMatchObject({ status, body: { id: expect.any(String), recipients: 0, delivered: 0 } });
  });

  it('may not be posted by a member of another organisation, nor with another scope', async () => {
    for (const principal of [user('bob', { orgs: ['globex'] }), user('r', { scopes: ['realtime:read'] })]) {
      await expect(post(fakeWorld(), principal, 'acme', { event_type: 'x', data: {} })).rejects.toMatchObject(
        {
          code: 'FORBIDDEN',
        },
      );
    }
  });

  it.each([
    [{}, 'event_type is required'],
    [{ event_type: 'x'.repeat(65) }, 'at most 64'],
    [{ event_type: 'x', data: 'text' }, 'data'],
  ])('refuses the body %j with INVALID_MESSAGE', async (body, mention) => {
    const svc = user('svc', { scopes: ['realtime:publish'] });
    await expect(post(fakeWorld(), svc, 'acme', body)).rejects.toMatchObject({
      code: 'INVALID_MESSAGE',
      message: expect.stringContaining(mention),
    });
  });

  it('refuses data over the size limit and an org id outside the channel charset', async () => {
    const world = fakeWorld({ MAX_DATA_BYTES: '100' });
    await expect(
      publishOrgEvent(world, 'acme', { event_type: 'x', data: { blob: 'x'.repeat(200) } }),
    ).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
    });
    await expect(publishOrgEvent(world, 'a:b', { event_type: 'x' })).rejects.toMatchObject({
      code: 'INVALID_CHANNEL',
    });
  });

  it('delivers nothing twice for one idempotency id', async () => {
    const world = fakeWorld();
    const member = await TestClient.connect(world, 'c1', user('alice', { orgs: ['acme'] }), 'org:acme');
    const first = await publishOrgEvent(world, 'acme', { event_type: 'x' }, { idempotencyId: 'job-7' });
    const again = await publishOrgEvent(world, 'acme', { event_type: 'x' }, { idempotencyId: 'job-7' });
    expect(again).toMatchObject({ id: first.id, duplicate: true });
    expect(member.received()).toHaveLength(1);
  });
});

describe('notifyUser', () => {
  it('sends `notification` to every connection of that user, with priority normal by default', async () => {
    const world = fakeWorld();
    const phone = await TestClient.connect(world, 'c1', user('alice'));
    const laptop = await TestClient.connect(world, 'c2', user('alice'));
    const bob = await TestClient.connect(world, 'c3', user('bob'));
    await notifyUser(world, 'alice', {
      title: 'Task Completed',
      message: 'Your export is ready',
      link: '/exports/1',
    });
    for (const c of [phone, laptop]) {
      expect(c.received()).toEqual([
        {
          type: 'notification',
          channel: 'user:alice',
          id: 'msg-000001',
          timestamp: '2026-11-23T12:00:00.000Z',
          seq: 1,
          title: 'Task Completed',
          message: 'Your export is ready',
          priority: 'normal',
          link: '/exports/1',
        },
      ]);
    }
    expect(bob.received()).toEqual([]);
  });

  it.each([
    [{ title: '', message: 'm' }, 'title'],
    [{ title: 't' }, 'message is required'],
    [{ title: 't', message: 'm', priority: 'urgent' }, 'priority'],
  ])('refuses %j with INVALID_MESSAGE', async (input, mention) => {
    await expect(
      notifyUser(fakeWorld(), 'alice', input as { title: string; message: string }),
    ).rejects.toMatchObject({
      code: 'INVALID_MESSAGE',
      message: expect.stringContaining(mention),
    });
  });
});
