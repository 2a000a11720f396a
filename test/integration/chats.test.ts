import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../shared/features/chat/messages';
import { clientPool, type Frame, TestClient, unique } from './support/client';
import { api } from './support/http';
import { shared, token } from './support/stack';

const { wsUrl, httpUrl } = shared();
const clients = clientPool();
const connect = clients.connect;
afterEach(() => clients.closeAll());

/** Users with tokens, and a chat of theirs created over HTTP by the first. */
async function chatOf(...names: string[]) {
  const users = await Promise.all(
    names.map(async (name) => {
      const sub = unique(`${name}-`);
      return { sub, name, bearer: await token(httpUrl, { sub, name }) };
    }),
  );
  const [owner, ...others] = users;
  if (!owner) throw new Error('a chat needs a user');
  const created = await api(httpUrl, 'POST', '/v1/chats', {
    bearer: owner.bearer,
    body: { participants: others.map((u) => u.sub) },
  });
  expect(created.status).toBe(201);
  const id = String(created.body.id);
  return { id, channel: `chat:${id}`, users, created };
}

const sendRest = (chatId: string, bearer: string, content: string, headers?: Record<string, string>) =>
  api(httpUrl, 'POST', `/v1/chats/${chatId}/messages`, {
    bearer,
    body: { content },
    ...(headers ? { headers } : {}),
  });

const listMessages = async (chatId: string, bearer: string, query = '') =>
  api(httpUrl, 'GET', `/v1/chats/${chatId}/messages${query}`, { bearer });

const messagesOf = (frames: Frame[]) => frames.filter((f) => f.type === 'message');

describe('chats over HTTP', () => {
  it('creates a chat with a server id, shows it to participants, and lets a participant add a user', async () => {
    const { id, users, created } = await chatOf('alice', 'bob');
    const [alice, bob] = users as [(typeof users)[0], (typeof users)[0]];
    expect(created.body).toEqual({
      id: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
      participants: [alice.sub, bob.sub].sort(),
      created_at: expect.stringMatching(/Z$/),
    });
    const read = await api(httpUrl, 'GET', `/v1/chats/${id}`, { bearer: bob.bearer });
    expect(read).toMatchObject({ status: 200, body: { id, created_by: alice.sub } });

    const carol = unique('carol-');
    const added = await api(httpUrl, 'POST', `/v1/chats/${id}/participants`, {
      bearer: bob.bearer,
      body: { user_id: carol },
    });
    expect(added).toMatchObject({
      status: 200,
      body: { id, participants: [alice.sub, bob.sub, carol].sort() },
    });
    const carolsClient = await connect(wsUrl, { token: await token(httpUrl, { sub: carol }) });
    expect(
      await carolsClient.request({ type: 'subscribe', channel: `chat:${id}` }, 'subscribed'),
    ).toMatchObject({
      channel: `chat:${id}`,
      seq: 0,
    });
  });

  it('answers 401 without a token and 400 for a body without participants', async () => {
    expect((await api(httpUrl, 'POST', '/v1/chats', { body: { participants: ['x'] } })).status).toBe(401);
    const bearer = await token(httpUrl, { sub: unique('u-') });
    const bad = await api(httpUrl, 'POST', '/v1/chats', { bearer, body: { participants: [] } });
    expect(bad).toMatchObject({ status: 400, body: { code: 'INVALID_MESSAGE' } });
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
  });
});

describe('chat messages', () => {
  it("delivers a participant's WebSocket message to the other participants and lists it in REST history", async () => {
    const { id, channel, users } = await chatOf('alice', 'bob', 'carol');
    const [alice, bob, carol] = users as [(typeof users)[0], (typeof users)[0], (typeof users)[0]];
    const a = await connect(wsUrl, { token: alice.bearer, channels: [channel] });
    const b = await connect(wsUrl, { token: bob.bearer, channels: [channel] });
    const c = await connect(wsUrl, { token: carol.bearer, channels: [channel] });

    const ack = await a.request({ content: 'hello, both of you' }, 'ack');
    expect(ack).toMatchObject({ channel, seq: 1, id: expect.any(String) });
    const expected = {
      type: 'message',
      channel,
      id: ack.id,
      seq: 1,
      message: {
        id: ack.id,
        chat: id,
        sender: { id: alice.sub, username: 'alice' },
        content: 'hello, both of you',
        seq: 1,
      },
    };
    expect(await b.nextOfType('message')).toMatchObject(expected);
    expect(await c.nextOfType('message')).toMatchObject(expected);
    expect(await a.nextOfType('message')).toMatchObject(expected);

    const listed = await listMessages(id, carol.bearer);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      messages: [{ ...expected.message, timestamp: expect.any(String) }],
      next: null,
    });
    const history = await api(httpUrl, 'GET', `/v1/channels/${encodeURIComponent(channel)}/history`, {
      bearer: bob.bearer,
    });
    expect(history.body.messages).toMatchObject([expected]);
  });

  it('broadcasts a REST send to the connected participants, as the seed did not', async () => {
    const { id, channel, users } = await chatOf('alice', 'bob');
    const [alice, bob] = users as [(typeof users)[0], (typeof users)[0]];
    const b = await connect(wsUrl, { token: bob.bearer, channels: [channel] });
    const sent = await sendRest(id, alice.bearer, 'sent over REST');
    expect(sent).toMatchObject({
      status: 201,
      body: { chat: id, sender: { id: alice.sub }, content: 'sent over REST', seq: 1 },
    });
    expect(await b.nextOfType('message')).toMatchObject({ channel, id: sent.body.id, message: sent.body });
  });

  it('takes the sender from the token: a forged sender is neither stored nor delivered', async () => {
    const { id, channel, users } = await chatOf('alice', 'bob');
    const [alice, bob] = users as [(typeof users)[0], (typeof users)[0]];
    const a = await connect(wsUrl, { token: alice.bearer, channels: [channel] });
    const b = await connect(wsUrl, { token: bob.bearer, channels: [channel] });
    const forged = { id: bob.sub, username: 'bob' };
    await a.request({ type: 'message', content: 'I am bob, honest', sender: forged, username: 'bob' }, 'ack');
    await sendRest(id, alice.bearer, 'me too').then((r) => expect(r.status).toBe(201));
    const delivered = [await b.nextOfType('message'), await b.nextOfType('message')];
    const stored = (await listMessages(id, bob.bearer)).body.messages as ChatMessage[];
    for (const message of [...delivered.map((f) => f.message as ChatMessage), ...stored]) {
      expect(message.sender).toEqual({ id: alice.sub, username: 'alice' });
    }
    expect(stored).toHaveLength(2);
  });

  it('refuses empty content with "Content cannot be empty" and text over 1000 characters', async () => {
    const { id, channel, users } = await chatOf('alice', 'bob');
    const [alice] = users as [(typeof users)[0]];
    const a = await connect(wsUrl, { token: alice.bearer, channels: [channel] });
    expect(await a.request({ content: '   ' }, 'error')).toEqual({
      type: 'error',
      code: 'INVALID_MESSAGE',
      message: 'Content cannot be empty',
    });
    expect(await a.request({ content: 'x'.repeat(1001) }, 'error')).toMatchObject({
      code: 'MESSAGE_TOO_LONG',
    });
    expect(await sendRest(id, alice.bearer, '')).toMatchObject({
      status: 400,
      body: { code: 'INVALID_MESSAGE', detail: 'Content cannot be empty' },
    });
    expect((await listMessages(id, alice.bearer)).body.messages).toEqual([]);
  });
});

describe('chat access', () => {
  it('refuses a non-participant at subscribe, send, publish and history, and anonymous callers too', async () => {
    const { id, channel } = await chatOf('alice', 'bob');
    const mallory = await token(httpUrl, { sub: unique('mallory-') });
    const m = await connect(wsUrl, { token: mallory });
    expect(await m.request({ type: 'subscribe', channel }, 'error')).toMatchObject({ code: 'FORBIDDEN' });
    expect(await m.request({ content: 'let me in', channel }, 'error')).toMatchObject({ code: 'FORBIDDEN' });
    expect(await m.request({ type: 'publish', channel, data: { x: 1 } }, 'error')).toMatchObject({
      code: 'FORBIDDEN',
    });
    expect((await TestClient.refused(wsUrl, { token: mallory, channels: [channel] })).status).toBe(403);

    const anon = await connect(wsUrl);
    expect(await anon.request({ type: 'subscribe', channel }, 'error')).toMatchObject({
      code: 'UNAUTHORIZED',
    });
    expect(await anon.request({ content: 'hi', channel }, 'error')).toMatchObject({ code: 'UNAUTHORIZED' });

    for (const path of [`/v1/chats/${id}`, `/v1/chats/${id}/messages`]) {
      expect(await api(httpUrl, 'GET', path, { bearer: mallory })).toMatchObject({
        status: 403,
        body: { code: 'FORBIDDEN' },
      });
      expect((await api(httpUrl, 'GET', path)).status).toBe(401);
    }
    expect((await sendRest(id, mallory, 'hi')).status).toBe(403);
    expect(
      (
        await api(httpUrl, 'POST', `/v1/chats/${id}/participants`, {
          bearer: mallory,
          body: { user_id: 'x' },
        })
      ).status,
    ).toBe(403);
    const history = `/v1/channels/${encodeURIComponent(channel)}/history`;
    expect((await api(httpUrl, 'GET', history, { bearer: mallory })).status).toBe(403);
    expect((await api(httpUrl, 'GET', history)).status).toBe(401);
    // An unknown chat answers exactly as someone else's does: nothing about whether it exists.
    const unknown = await api(httpUrl, 'GET', `/v1/chats/${randomUUID()}`, { bearer: mallory });
    expect(unknown.status).toBe(403);
  });
});

describe('chat history', () => {
  it('pages 250 messages back through next, each exactly once, newest first, while new ones arrive', async () => {
    const { id, users } = await chatOf('alice', 'bob');
    const [alice, bob] = users as [(typeof users)[0], (typeof users)[0]];
    const sent: string[] = [];
    for (let batch = 0; batch < 25; batch++) {
      const contents = Array.from({ length: 10 }, (_, i) => `m${batch * 10 + i}`);
      const replies = await Promise.all(contents.map((c) => sendRest(id, alice.bearer, c)));
      expect(replies.map((r) => r.status)).toEqual(Array(10).fill(201));
      sent.push(...contents);
    }

    const seen: ChatMessage[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?limit=30${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await listMessages(id, bob.bearer, query);
      expect(page.status).toBe(200);
      seen.push(...(page.body.messages as ChatMessage[]));
      cursor = page.body.next as string | null;
      if (++pages === 3) await sendRest(id, alice.bearer, 'arrived while paging');
    } while (cursor);

    expect(pages).toBe(9);
    expect(seen.map((m) => m.seq)).toEqual(Array.from({ length: 250 }, (_, i) => 250 - i));
    expect(seen.map((m) => m.content).sort()).toEqual([...sent].sort());
    expect(new Set(seen.map((m) => m.id)).size).toBe(250);
    const newest = await listMessages(id, bob.bearer, '?limit=1');
    expect(newest.body.messages).toMatchObject([{ seq: 251, content: 'arrived while paging' }]);
  });

  it('recovers exactly the 20 missed messages, in order, on resubscribe with since; live ones follow once', async () => {
    const { id, channel, users } = await chatOf('alice', 'bob');
    const [alice, bob] = users as [(typeof users)[0], (typeof users)[0]];
    const a = await connect(wsUrl, { token: alice.bearer, channels: [channel] });
    let b = await connect(wsUrl, { token: bob.bearer, channels: [channel] });
    for (const text of ['one', 'two']) await a.request({ content: text }, 'ack');
    const lastSeen = (await b.nextOfType('message', (f) => f.seq === 2)).seq as number;
    await b.close();

    const missed: number[] = [];
    for (let i = 1; i <= 20; i++) {
      const sent = await sendRest(id, alice.bearer, `missed ${i}`);
      missed.push(sent.body.seq as number);
    }

    b = await connect(wsUrl, { token: bob.bearer });
    const subscribed = await b.request({ type: 'subscribe', channel, since: lastSeen }, 'subscribed');
    expect(subscribed).toMatchObject({ channel, seq: 22, recovered: true });
    const replayed: Frame[] = [];
    for (let i = 0; i < 20; i++) replayed.push(await b.nextOfType('message'));
    expect(replayed.map((f) => f.seq)).toEqual(missed);
    expect(replayed.map((f) => (f.message as ChatMessage).content)).toEqual(
      Array.from({ length: 20 }, (_, i) => `missed ${i + 1}`),
    );

    await a.request({ content: 'live again' }, 'ack');
    expect(await b.nextOfType('message')).toMatchObject({ seq: 23, message: { content: 'live again' } });
    expect(messagesOf(await b.sync())).toEqual([]);
  });
});

describe('idempotent sends', () => {
  it('stores and delivers a WebSocket message repeated with the same id once; the repeat acks duplicate', async () => {
    const { id, channel, users } = await chatOf('alice', 'bob');
    const [alice, bob] = users as [(typeof users)[0], (typeof users)[0]];
    const a = await connect(wsUrl, { token: alice.bearer });
    const b = await connect(wsUrl, { token: bob.bearer, channels: [channel] });
    const clientId = randomUUID();
    const first = await a.request({ type: 'message', channel, content: 'once', id: clientId }, 'ack');
    const again = await a.request({ type: 'message', channel, content: 'once', id: clientId }, 'ack');
    expect(first).toMatchObject({ ref: clientId, seq: 1 });
    expect(first.duplicate).toBeUndefined();
    expect(again).toEqual({ ...first, duplicate: true });
    // The same id with another request (another frame, another body) is refused, not taken for a repeat:
    // one id is one message on a channel (PROTOCOL.md section 3, "Idempotency").
    const publishAgain = await a.request(
      { type: 'publish', channel, data: { text: 'x' }, id: clientId },
      'error',
    );
    expect(publishAgain).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', ref: clientId });

    expect(messagesOf(await b.sync())).toHaveLength(1);
    expect((await listMessages(id, bob.bearer)).body.messages).toHaveLength(1);
  });

  it('answers a REST send repeated with the same Idempotency-Key with the first answer, storing and delivering once', async () => {
    const { id, channel, users } = await chatOf('alice', 'bob');
    const [alice, bob] = users as [(typeof users)[0], (typeof users)[0]];
    const b = await connect(wsUrl, { token: bob.bearer, channels: [channel] });
    const key = { 'idempotency-key': randomUUID() };
    const first = await sendRest(id, alice.bearer, 'exactly once', key);
    const again = await sendRest(id, alice.bearer, 'exactly once', key);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');

    expect(messagesOf(await b.sync())).toHaveLength(1);
    expect((await listMessages(id, bob.bearer)).body.messages).toEqual([first.body]);
  });

  it('treats one Idempotency-Key sent to two chats as two requests', async () => {
    const one = await chatOf('alice', 'bob');
    const [alice, bob] = one.users as [(typeof one.users)[0], (typeof one.users)[0]];
    const created = await api(httpUrl, 'POST', '/v1/chats', {
      bearer: alice.bearer,
      body: { participants: [bob.sub] },
    });
    expect(created.status).toBe(201);
    const other = String(created.body.id);
    const key = { 'idempotency-key': randomUUID() };
    const first = await sendRest(one.id, alice.bearer, 'to the first chat', key);
    const second = await sendRest(other, alice.bearer, 'to the second chat', key);
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    expect(second.body).toMatchObject({ chat: other, content: 'to the second chat' });
    expect(first.body).toMatchObject({ chat: one.id, content: 'to the first chat' });
  });
});

describe('presence', () => {
  it('counts the connections of a channel, lists its users once each, and counts anonymous ones', async () => {
    const room = unique('room:');
    const alice = unique('alice-');
    const aliceToken = await token(httpUrl, { sub: alice, name: 'Alice' });
    await connect(wsUrl, { token: aliceToken, channels: [room] });
    await connect(wsUrl, { token: aliceToken, channels: [room] });
    await connect(wsUrl, { channels: [room] });
    const presence = await api(httpUrl, 'GET', `/v1/channels/${encodeURIComponent(room)}/presence`);
    expect(presence).toMatchObject({
      status: 200,
      body: { channel: room, count: 3, users: [{ id: alice, username: 'Alice' }], anonymous: 1 },
    });
  });

  it('shows a chat to its participants only', async () => {
    const { channel, users } = await chatOf('alice', 'bob');
    const [alice] = users as [(typeof users)[0]];
    await connect(wsUrl, { token: alice.bearer, channels: [channel] });
    const path = `/v1/channels/${encodeURIComponent(channel)}/presence`;
    expect(await api(httpUrl, 'GET', path, { bearer: alice.bearer })).toMatchObject({
      status: 200,
      body: { count: 1, users: [{ id: alice.sub }], anonymous: 0 },
    });
    expect(
      (await api(httpUrl, 'GET', path, { bearer: await token(httpUrl, { sub: unique('m-') }) })).status,
    ).toBe(403);
    expect((await api(httpUrl, 'GET', path)).status).toBe(401);
  });
});
