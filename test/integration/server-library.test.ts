import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createSwitchboard, ProtocolError, type Switchboard } from '../../server/index';
import { clientPool, unique } from './support/client';
import { shared, token } from './support/stack';

/**
 * The server library (server/index.ts) as another Lambda or a worker uses it: only the table name, the
 * WebSocket callback URL and the stack's credentials (`npm run credentials`), and real
 * WebSocket clients on the shared stack receive what it sends.
 */
const { httpUrl, wsUrl, callbackUrl, credentials } = shared();
const clients = clientPool();
afterEach(() => clients.closeAll());

let switchboard: Switchboard;
beforeAll(() => {
  switchboard = createSwitchboard({
    tableName: inject('tableName'),
    callbackUrl,
    endpoint: inject('dynamodbEndpoint'),
    credentials,
  });
});
afterAll(() => switchboard.close());

describe('createSwitchboard', () => {
  it('notifyUser: a notification on every connection of that user, and no one else', async () => {
    const [alice, bob] = [unique('alice-'), unique('bob-')];
    const aliceClient = await clients.connect(wsUrl, { token: await token(httpUrl, { sub: alice }) });
    const bobClient = await clients.connect(wsUrl, { token: await token(httpUrl, { sub: bob }) });
    const sent = await switchboard.notifyUser(alice, {
      title: 'Document Processed',
      message: 'Document 42 has been processed successfully',
      link: '/documents/42',
    });
    expect(sent).toMatchObject({
      channel: `user:${alice}`,
      seq: 1,
      recipients: 1,
      delivered: 1,
      duplicate: false,
    });
    expect(await aliceClient.nextOfType('notification')).toEqual({
      type: 'notification',
      channel: `user:${alice}`,
      id: sent.id,
      timestamp: expect.any(String),
      seq: 1,
      title: 'Document Processed',
      message: 'Document 42 has been processed successfully',
      priority: 'normal',
      link: '/documents/42',
    });
    expect((await bobClient.sync()).filter((f) => f.type === 'notification')).toEqual([]);
  });

  it('publishOrgEvent: an event to the members of the organisation', async () => {
    const org = unique('acme-');
    const member = await clients.connect(wsUrl, {
      token: await token(httpUrl, { sub: unique('m-'), orgs: [org] }),
      channels: [`org:${org}`],
    });
    const sent = await switchboard.publishOrgEvent(org, 'document.processed', { document_id: 'doc-1' });
    expect(await member.nextOfType('event')).toMatchObject({
      id: sent.id,
      channel: `org:${org}`,
      org_id: org,
      event_type: 'document.processed',
      data: { document_id: 'doc-1' },
    });
  });

  it('publish: any event type to any channel, delivered once per id within 24 h', async () => {
    const room = unique('room:');
    const client = await clients.connect(wsUrl, { channels: [room] });
    const first = await switchboard.publish(room, 'api_message', { message: 'hello' }, { id: 'job-1' });
    const repeat = await switchboard.publish(room, 'api_message', { message: 'hello' }, { id: 'job-1' });
    expect(repeat).toMatchObject({ id: first.id, duplicate: true });
    expect(await client.nextOfType('api_message')).toMatchObject({
      id: first.id,
      channel: room,
      message: 'hello',
    });
    expect((await client.sync()).filter((f) => f.type === 'api_message')).toEqual([]);
  });

  it('refuses what the protocol refuses, with the protocol codes', async () => {
    const reject = (p: Promise<unknown>) =>
      p.then(
        () => null,
        (e: unknown) => e,
      );
    const badChannel = await reject(switchboard.publish('nope:x', 'note', {}));
    expect(badChannel).toBeInstanceOf(ProtocolError);
    expect(badChannel).toMatchObject({ code: 'INVALID_CHANNEL' });
    expect(await reject(switchboard.publish(unique('room:'), 'ack', {}))).toMatchObject({
      code: 'INVALID_MESSAGE',
    });
    expect(await reject(switchboard.notifyUser('alice', { title: '', message: 'm' }))).toMatchObject({
      code: 'INVALID_MESSAGE',
    });
    expect(await reject(switchboard.publishOrgEvent('a b', 'x', {}))).toMatchObject({
      code: 'INVALID_CHANNEL',
    });
  });
});

describe('createSwitchboard without credentials', () => {
  it('signs with what the SDK’s default chain finds: here a profile, which the Lambdas’ lean clients never read', async () => {
    // A laptop's or a service's setup: a profile in a shared credentials file, no keys in the environment
    // (empty: the lean clients' own fallback, the environment's keys, would fail).
    const dir = mkdtempSync(path.join(tmpdir(), 'switchboard-profile-'));
    const file = path.join(dir, 'credentials');
    writeFileSync(
      file,
      `[switchboard-test]\naws_access_key_id = ${credentials.accessKeyId}\naws_secret_access_key = ${credentials.secretAccessKey}\n`,
    );
    vi.stubEnv('AWS_ACCESS_KEY_ID', '');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', '');
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', file);
    vi.stubEnv('AWS_CONFIG_FILE', path.join(dir, 'config'));
    vi.stubEnv('AWS_PROFILE', 'switchboard-test');
    const library = createSwitchboard({
      tableName: inject('tableName'),
      callbackUrl,
      endpoint: inject('dynamodbEndpoint'),
    });
    try {
      const room = unique('room:');
      const client = await clients.connect(wsUrl, { channels: [room] });
      const sent = await library.publish(room, 'api_message', { message: 'from a profile' });
      expect(sent).toMatchObject({ recipients: 1, delivered: 1, status: 'delivered' });
      expect(await client.nextOfType('api_message')).toMatchObject({
        id: sent.id,
        message: 'from a profile',
      });
    } finally {
      library.close();
      vi.unstubAllEnvs();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
