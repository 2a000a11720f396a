import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/index';
import { clientPool, TestClient, unique } from './support/client';
import { api } from './support/http';
import { publish, shared, startTestStack, token } from './support/stack';

/**
 * Seed 004 on the local stack: organisation events for members only, and per-user notifications that
 * reach that user and nobody else.
 */
const { httpUrl, wsUrl } = shared();
const clients = clientPool();
afterEach(() => clients.closeAll());

let service: string;
beforeAll(async () => {
  service = await token(httpUrl, { sub: 'org-service', scope: 'realtime:publish' });
});

const postEvent = (org: string, bearer: string | undefined, body: unknown) =>
  api(httpUrl, 'POST', `/v1/orgs/${org}/events`, { bearer, body });

describe('org:{id}', () => {
  it('a member gets the events a service posts to its organisation', async () => {
    const org = unique('acme-');
    const member = await token(httpUrl, { sub: unique('alice-'), orgs: [org, 'other'] });
    const client = await clients.connect(wsUrl, { token: member, channels: [`org:${org}`] });
    const res = await postEvent(org, service, {
      event_type: 'user.joined',
      data: { user_id: 'user-456', user_email: 'newuser@example.com' },
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ id: expect.any(String), recipients: 1, delivered: 1 });
    expect(await client.nextOfType('event')).toEqual({
      type: 'event',
      channel: `org:${org}`,
      id: res.body.id,
      timestamp: expect.any(String),
      seq: 1,
      org_id: org,
      event_type: 'user.joined',
      data: { user_id: 'user-456', user_email: 'newuser@example.com' },
    });
  });

  it('a member may post to its own organisation without a scope; a non-member may not (403)', async () => {
    const org = unique('acme-');
    const member = await token(httpUrl, { sub: unique('alice-'), orgs: [org] });
    const outsider = await token(httpUrl, { sub: unique('mallory-'), orgs: ['elsewhere'] });
    const client = await clients.connect(wsUrl, { token: member, channels: [`org:${org}`] });
    const byMember = await postEvent(org, member, {
      event_type: 'resource.created',
      data: { id: 'res-789' },
    });
    expect(byMember.status).toBe(202);
    expect((await client.nextOfType('event')).event_type).toBe('resource.created');
    const byOutsider = await postEvent(org, outsider, { event_type: 'resource.deleted', data: {} });
    expect(byOutsider.status).toBe(403);
    expect(byOutsider.body).toMatchObject({ code: 'FORBIDDEN' });
    expect((await client.sync()).filter((f) => f.type === 'event')).toEqual([]);
  });

  it('refuses a non-member at connect (403) and at subscribe (FORBIDDEN)', async () => {
    const org = unique('acme-');
    const outsider = await token(httpUrl, { sub: unique('mallory-'), orgs: ['elsewhere'] });
    const refusal = await TestClient.refused(wsUrl, { token: outsider, channels: [`org:${org}`] });
    expect(refusal.status).toBe(403);

    const client = await clients.connect(wsUrl, { token: outsider });
    const error = await client.request({ type: 'subscribe', channel: `org:${org}` }, 'error');
    expect(error).toMatchObject({ code: 'FORBIDDEN' });
    const res = await postEvent(org, service, { event_type: 'secret', data: { x: 1 } });
    expect(res.body.recipients).toBe(0);
    expect((await client.sync()).filter((f) => f.type === 'event')).toEqual([]);
  });

  it('answers bad bodies and org ids with 400, and no token with 401', async () => {
    const org = unique('acme-');
    for (const body of [
      { data: {} },
      { event_type: '', data: {} },
      { event_type: 'x'.repeat(65) },
      { event_type: 'x', data: [] },
    ]) {
      const res = await postEvent(org, service, body);
      expect({ body, status: res.status, code: res.body.code }).toEqual({
        body,
        status: 400,
        code: 'INVALID_MESSAGE',
      });
    }
    expect((await postEvent('a%20b', service, { event_type: 'x', data: {} })).body.code).toBe(
      'INVALID_CHANNEL',
    );
    expect((await postEvent(org, undefined, { event_type: 'x', data: {} })).status).toBe(401);
  });

  it('a member who reconnects recovers the events it missed (org: keeps history)', async () => {
    const org = unique('acme-');
    const member = await token(httpUrl, { sub: unique('alice-'), orgs: [org] });
    await postEvent(org, service, { event_type: 'first', data: {} });
    await postEvent(org, service, { event_type: 'second', data: {} });
    const client = await clients.connect(wsUrl, { token: member });
    const subscribed = await client.request(
      { type: 'subscribe', channel: `org:${org}`, since: 0 },
      'subscribed',
    );
    expect(subscribed).toMatchObject({ seq: 2 });
    expect((await client.nextOfType('event')).event_type).toBe('first');
    expect((await client.nextOfType('event')).event_type).toBe('second');
  });
});

describe('organisations from a Keycloak-style claim', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startTestStack({ env: { ORGS_CLAIM: 'groups', ORGS_PREFIX: '/orgs/' } });
  });
  afterAll(() => stack.stop());

  it('reads the groups claim with its prefix stripped', async () => {
    const org = unique('acme-');
    const member = await stack.issuer.mint({ sub: unique('kc-') }, { groups: [`/orgs/${org}`, '/admins'] });
    const client = await TestClient.connect(stack.wsUrl, { token: member, channels: [`org:${org}`] });
    expect((await client.hello()).channels).toContain(`org:${org}`);
    // `/admins` has no prefix: it is not an organisation.
    expect((await client.request({ type: 'subscribe', channel: 'org:admins' }, 'error')).code).toBe(
      'FORBIDDEN',
    );
    await client.close();
  });
});

describe('user:{id} notifications', () => {
  it('reach that user on every connection, and nobody else', async () => {
    const [alice, bob] = [unique('alice-'), unique('bob-')];
    const aliceToken = await token(httpUrl, { sub: alice });
    const alicePhone = await clients.connect(wsUrl, { token: aliceToken });
    const aliceLaptop = await clients.connect(wsUrl, { token: aliceToken });
    const bobClient = await clients.connect(wsUrl, { token: await token(httpUrl, { sub: bob }) });
    const res = await publish(httpUrl, service, {
      user_ids: [alice],
      type: 'notification',
      data: { title: 'New Message', message: 'You have a new message from John', priority: 'normal' },
    });
    expect(res.body).toMatchObject({ recipients: 2, delivered: 2 });
    for (const client of [alicePhone, aliceLaptop]) {
      expect(await client.nextOfType('notification')).toMatchObject({
        channel: `user:${alice}`,
        title: 'New Message',
        message: 'You have a new message from John',
      });
    }
    expect((await bobClient.sync()).filter((f) => f.type === 'notification')).toEqual([]);
  });

  it('are not readable by another user: subscribing to user:alice as bob is FORBIDDEN, connecting 403', async () => {
    const alice = unique('alice-');
    const bobToken = await token(httpUrl, { sub: unique('bob-') });
    expect((await TestClient.refused(wsUrl, { token: bobToken, channels: [`user:${alice}`] })).status).toBe(
      403,
    );
    const bob = await clients.connect(wsUrl, { token: bobToken });
    expect((await bob.request({ type: 'subscribe', channel: `user:${alice}` }, 'error')).code).toBe(
      'FORBIDDEN',
    );
    const history = await api(httpUrl, 'GET', `/v1/channels/user:${alice}/history`, { bearer: bobToken });
    expect(history.status).toBe(403);
  });
});
