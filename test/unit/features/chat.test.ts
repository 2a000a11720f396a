import { describe, expect, it } from 'vitest';
import type { Principal } from '../../../shared/core/auth/principal';
import { ProtocolError } from '../../../shared/core/errors';
import type { OperationInput } from '../../../shared/core/operations';
import { addParticipant, createChat, MAX_PARTICIPANTS, readChat } from '../../../shared/features/chat/chats';
import { chatOperations, decodeCursor, encodeCursor } from '../../../shared/features/chat/operations';
import { type FakeWorld, fakeWorld } from '../../support/fakes';
import { operationInput } from '../../support/operations';
import { anonymous, TestClient, user } from '../../support/world';

const alice = user('alice', { username: 'Alice' });
const bob = user('bob', { username: 'Bob' });
const mallory = user('mallory', { username: 'Mallory' });

/** A world with one chat of alice and bob; its id is the first id the fake hands out. */
async function chatWorld() {
  const world = fakeWorld();
  const chat = await createChat(world, alice, ['bob']);
  return { world, chat, channel: `chat:${chat.id}` };
}

/** An operation of a fake world, made as lambdas/http-chats.ts makes it, with its input. */
const operation =
  (name: keyof ReturnType<typeof chatOperations>) =>
  ({ world, input }: { world: FakeWorld; input: OperationInput }) =>
    chatOperations(world)[name](input);
const createChatOperation = operation('createChat');
const getChatOperation = operation('getChat');
const addParticipantOperation = operation('addParticipant');
const listMessagesOperation = operation('listMessages');
const sendMessageOperation = operation('sendMessage');
const input = (world: FakeWorld, principal: Principal, parts: Parameters<typeof operationInput>[1] = {}) => ({
  world,
  input: operationInput(principal, parts),
});

const codeOf = async (promise: Promise<unknown>): Promise<string> => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProtocolError) return error.code;
    throw error;
  }
  throw new Error('expected a ProtocolError');
};

describe('chat messages over WebSocket', () => {
  it('stores a typeless {content} frame, delivers it as `message` to the chat, and acks with id and seq', async () => {
    const { world, chat, channel } = await chatWorld();
    const a = await TestClient.connect(world, 'c-a', alice, channel);
    const b = await TestClient.connect(world, 'c-b', bob, channel);
    const ack = await a.request({ content: '  hello bob  ' });
    expect(ack).toEqual({ type: 'ack', id: 'msg-000002', channel, seq: 1, status: 'delivered' });
    const expected = {
      type: 'message',
      channel,
      id: 'msg-000002',
      timestamp: '2026-11-23T12:00:00.000Z',
      seq: 1,
      message: {
        id: 'msg-000002',
        chat: chat.id,
        sender: { id: 'alice', username: 'Alice' },
        content: 'hello bob',
        timestamp: '2026-11-23T12:00:00.000Z',
        seq: 1,
      },
    };
    expect(b.received()).toEqual([expected]);
    expect(a.received()).toEqual([expected]);
    const stored = world.messages.histories.get(channel) ?? [];
    expect(stored.map((e) => JSON.parse(e.frame))).toEqual([expected]);
  });

  it('takes {type: "message", channel, id} from a participant that is not subscribed, acking with ref', async () => {
    const { world, channel } = await chatWorld();
    const a = await TestClient.connect(world, 'c-a', alice);
    const b = await TestClient.connect(world, 'c-b', bob, channel);
    const ack = await a.request({ type: 'message', channel, content: 'hi', id: 'client-1' });
    expect(ack).toMatchObject({ type: 'ack', ref: 'client-1', channel, seq: 1 });
    expect(b.received()).toHaveLength(1);
    expect(a.received()).toEqual([]);
  });

  it('ignores a forged sender: the stored and the delivered message name the token user', async () => {
    const { world, channel } = await chatWorld();
    const a = await TestClient.connect(world, 'c-a', alice, channel);
    const b = await TestClient.connect(world, 'c-b', bob, channel);
    await a.request({
      content: 'trust me',
      sender: { id: 'bob', username: 'Bob' },
      message: { sender: 'x' },
    });
    const delivered = b.received()[0] as { message: { sender: unknown } };
    expect(delivered.message.sender).toEqual({ id: 'alice', username: 'Alice' });
    const stored = JSON.parse(world.messages.histories.get(channel)?.[0]?.frame ?? '{}');
    expect(stored.message.sender).toEqual({ id: 'alice', username: 'Alice' });
    expect(JSON.stringify(stored)).not.toContain('"bob"');
  });

  it.each([
    ['empty', ''],
    ['blank', ' \n\t '],
  ])(
    'refuses %s content with the seed message "Content cannot be empty" and stores nothing',
    async (_, content) => {
      const { world, channel } = await chatWorld();
      const a = await TestClient.connect(world, 'c-a', alice, channel);
      expect(await a.request({ content })).toEqual({
        type: 'error',
        code: 'INVALID_MESSAGE',
        message: 'Content cannot be empty',
      });
      expect(world.messages.histories.get(channel)).toBeUndefined();
      expect(a.received()).toEqual([]);
    },
  );

  it('accepts 1000 characters (counted as characters, not UTF-16 units) and refuses 1001 with MESSAGE_TOO_LONG', async () => {
    const { world, channel } = await chatWorld();
    const a = await TestClient.connect(world, 'c-a', alice, channel);
    expect(await a.request({ content: '😀'.repeat(1000) })).toMatchObject({ type: 'ack', seq: 1 });
    expect(await a.request({ content: 'x'.repeat(1001), id: 'long' })).toMatchObject({
      type: 'error',
      code: 'MESSAGE_TOO_LONG',
      ref: 'long',
    });
    expect(world.messages.histories.get(channel)).toHaveLength(1);
  });

  it('refuses a content that is not a string with INVALID_MESSAGE', async () => {
    const { world, channel } = await chatWorld();
    const a = await TestClient.connect(world, 'c-a', alice, channel);
    expect(await a.request({ content: 42 })).toMatchObject({ type: 'error', code: 'INVALID_MESSAGE' });
  });

  it('refuses an anonymous sender with UNAUTHORIZED and a non-participant with FORBIDDEN, storing nothing', async () => {
    const { world, channel } = await chatWorld();
    const anon = await TestClient.connect(world, 'c-anon', anonymous);
    const m = await TestClient.connect(world, 'c-m', mallory);
    const b = await TestClient.connect(world, 'c-b', bob, channel);
    expect(await anon.request({ content: 'hi', channel })).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(await m.request({ content: 'hi', channel, id: 'm1' })).toMatchObject({
      type: 'error',
      code: 'FORBIDDEN',
      ref: 'm1',
    });
    expect(await m.request({ type: 'publish', channel, data: { text: 'hi' } })).toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(world.messages.histories.get(channel)).toBeUndefined();
    expect(b.received()).toEqual([]);
  });

  it('needs a channel when the connection is on no chat, and a chat: channel when one is named', async () => {
    const { world } = await chatWorld();
    const a = await TestClient.connect(world, 'c-a', alice, 'room:x');
    expect(await a.request({ content: 'hi' })).toMatchObject({ code: 'CHANNEL_REQUIRED' });
    expect(await a.request({ content: 'hi', channel: 'room:x' })).toMatchObject({ code: 'INVALID_CHANNEL' });
  });

  it('stores and delivers a message repeated with the same id once; the repeat is acked as a duplicate', async () => {
    const { world, channel } = await chatWorld();
    const a = await TestClient.connect(world, 'c-a', alice, channel);
    const b = await TestClient.connect(world, 'c-b', bob, channel);
    const first = await a.request({ content: 'once', id: 'same' });
    const again = await a.request({ content: 'once', id: 'same' });
    expect(again).toEqual({ ...first, duplicate: true });
    expect(b.received()).toHaveLength(1);
    expect(world.messages.histories.get(channel)).toHaveLength(1);
  });

  it('replays missed chat messages on subscribe with since, exactly as they were delivered', async () => {
    const { world, channel } = await chatWorld();
    const a = await TestClient.connect(world, 'c-a', alice, channel);
    for (const text of ['one', 'two', 'three']) await a.request({ content: text });
    const b = await TestClient.connect(world, 'c-b', bob);
    const replies = await b.send({ type: 'subscribe', channel, since: 1 });
    expect(replies[0]).toEqual({ type: 'subscribed', channel, seq: 3, recovered: true });
    expect(replies.slice(1)).toEqual(a.received().slice(1));
  });

  it('lets only participants subscribe to a chat', async () => {
    const { world, channel } = await chatWorld();
    const m = await TestClient.connect(world, 'c-m', mallory);
    const anon = await TestClient.connect(world, 'c-anon', anonymous);
    expect(await m.request({ type: 'subscribe', channel })).toMatchObject({ code: 'FORBIDDEN' });
    expect(await anon.request({ type: 'subscribe', channel })).toMatchObject({ code: 'UNAUTHORIZED' });
  });
});

describe('chats', () => {
  it('creates a chat with a server id, the caller added, participants once each and sorted', async () => {
    const world = fakeWorld();
    const chat = await createChat(world, bob, ['carol', 'alice', 'carol', 'bob']);
    expect(chat).toEqual({
      id: 'msg-000001',
      participants: ['alice', 'bob', 'carol'],
      createdAt: world.clock.now(),
      createdBy: 'bob',
    });
    expect(await world.chats.isParticipant(chat.id, 'carol')).toBe(true);
    expect(await world.chats.get(chat.id)).toEqual(chat);
  });

  it('refuses an anonymous creator with UNAUTHORIZED', async () => {
    expect(await codeOf(createChat(fakeWorld(), anonymous, ['bob']))).toBe('UNAUTHORIZED');
  });

  it('shows a chat to its participants and answers FORBIDDEN alike for other users and unknown chats', async () => {
    const { world, chat } = await chatWorld();
    expect((await readChat(world, bob, chat.id)).participants).toEqual(['alice', 'bob']);
    const errors = await Promise.all(
      [readChat(world, mallory, chat.id), readChat(world, mallory, 'no-such-chat')].map((p) =>
        p.then(
          () => null,
          (e: ProtocolError) => ({ code: e.code, status: e.status, sameText: e.message.includes('chat:') }),
        ),
      ),
    );
    expect(errors).toEqual([
      { code: 'FORBIDDEN', status: 403, sameText: true },
      { code: 'FORBIDDEN', status: 403, sameText: true },
    ]);
  });

  it('lets a participant add a user, who may then subscribe; adding them again changes nothing', async () => {
    const { world, chat, channel } = await chatWorld();
    expect((await addParticipant(world, bob, chat.id, 'carol')).participants).toEqual([
      'alice',
      'bob',
      'carol',
    ]);
    expect((await addParticipant(world, alice, chat.id, 'carol')).participants).toEqual([
      'alice',
      'bob',
      'carol',
    ]);
    const carol = await TestClient.connect(world, 'c-c', user('carol'));
    expect(await carol.request({ type: 'subscribe', channel })).toMatchObject({ type: 'subscribed' });
  });

  it('refuses additions by non-participants (FORBIDDEN) and past the participant limit (CONFLICT)', async () => {
    const { world, chat } = await chatWorld();
    expect(await codeOf(addParticipant(world, mallory, chat.id, 'mallory'))).toBe('FORBIDDEN');
    const big = await createChat(
      world,
      alice,
      Array.from({ length: MAX_PARTICIPANTS - 1 }, (_, i) => `u${i}`),
    );
    expect(await codeOf(addParticipant(world, alice, big.id, 'one-too-many'))).toBe('CONFLICT');
    expect(await world.chats.isParticipant(big.id, 'one-too-many')).toBe(false);
  });
});

describe('chat HTTP operations', () => {
  it('POST /v1/chats answers 201 {id, participants, created_at} and validates the participants', async () => {
    const world = fakeWorld();
    const created = await createChatOperation(input(world, alice, { body: { participants: ['bob'] } }));
    expect(created).toEqual({
      status: 201,
      body: { id: 'msg-000001', participants: ['alice', 'bob'], created_at: '2026-11-23T12:00:00.000Z' },
      headers: { location: '/v1/chats/msg-000001' },
    });
    for (const body of [
      undefined,
      {},
      { participants: [] },
      { participants: [''] },
      { participants: 'bob' },
      { participants: Array.from({ length: 101 }, (_, i) => `u${i}`) },
    ]) {
      expect(await codeOf(createChatOperation(input(world, alice, { body })))).toBe('INVALID_MESSAGE');
    }
  });

  it('GET /v1/chats/{id} and POST …/participants answer participants and refuse others', async () => {
    const { world, chat } = await chatWorld();
    expect(await getChatOperation(input(world, bob, { params: { id: chat.id } }))).toEqual({
      status: 200,
      body: {
        id: chat.id,
        participants: ['alice', 'bob'],
        created_at: '2026-11-23T12:00:00.000Z',
        created_by: 'alice',
      },
    });
    expect(await codeOf(getChatOperation(input(world, mallory, { params: { id: chat.id } })))).toBe(
      'FORBIDDEN',
    );
    const added = await addParticipantOperation(
      input(world, bob, { params: { id: chat.id }, body: { user_id: 'carol' } }),
    );
    expect(added).toEqual({ status: 200, body: { id: chat.id, participants: ['alice', 'bob', 'carol'] } });
    expect(
      await codeOf(addParticipantOperation(input(world, bob, { params: { id: chat.id }, body: {} }))),
    ).toBe('INVALID_MESSAGE');
  });

  it('POST /v1/chats/{id}/messages stores the message and broadcasts it to connected participants', async () => {
    const { world, chat, channel } = await chatWorld();
    const b = await TestClient.connect(world, 'c-b', bob, channel);
    const sent = await sendMessageOperation(
      input(world, alice, { params: { id: chat.id }, body: { content: ' over REST ', sender: 'bob' } }),
    );
    const message = {
      id: 'msg-000002',
      chat: chat.id,
      sender: { id: 'alice', username: 'Alice' },
      content: 'over REST',
      timestamp: '2026-11-23T12:00:00.000Z',
      seq: 1,
    };
    expect(sent).toEqual({ status: 201, body: message });
    expect(b.received()).toMatchObject([{ type: 'message', channel, seq: 1, message }]);
    expect(
      await codeOf(
        sendMessageOperation(input(world, mallory, { params: { id: chat.id }, body: { content: 'x' } })),
      ),
    ).toBe('FORBIDDEN');
    expect(
      await codeOf(
        sendMessageOperation(input(world, alice, { params: { id: chat.id }, body: { content: ' ' } })),
      ),
    ).toBe('INVALID_MESSAGE');
    expect(world.messages.histories.get(channel)).toHaveLength(1);
  });

  it('GET /v1/chats/{id}/messages pages 250 messages newest first, each exactly once, while new ones arrive', async () => {
    const { world, chat, channel } = await chatWorld();
    const a = await TestClient.connect(world, 'c-a', alice, channel);
    for (let i = 1; i <= 250; i++) {
      world.clock.advance(1000); // 60 frames a minute: under the rate limit
      expect(await a.request({ content: `m${i}` })).toMatchObject({ type: 'ack', seq: i });
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const query: Record<string, string> = { limit: '40', ...(cursor ? { cursor } : {}) };
      const page = await listMessagesOperation(input(world, bob, { params: { id: chat.id }, query }));
      const body = page.body as { messages: { content: string; seq: number }[]; next: string | null };
      seen.push(...body.messages.map((m) => m.content));
      cursor = body.next ?? undefined;
      pages++;
      if (pages === 2) await a.request({ content: 'late' }); // arrives while paging: not in older pages
    } while (cursor);
    expect(pages).toBe(7);
    expect(seen).toEqual(Array.from({ length: 250 }, (_, i) => `m${250 - i}`));
  });

  it('lists only chat messages, skipping other events of the channel, with the default limit of 50', async () => {
    const { world, chat, channel } = await chatWorld();
    const a = await TestClient.connect(world, 'c-a', alice, channel);
    await a.request({ content: 'first' });
    await a.request({ type: 'publish', channel, data: { not: 'a message' } });
    await a.request({ content: 'second' });
    const page = await listMessagesOperation(input(world, alice, { params: { id: chat.id } }));
    expect(page.body).toMatchObject({
      messages: [
        { content: 'second', seq: 3 },
        { content: 'first', seq: 1 },
      ],
      next: null,
    });
  });

  it('refuses non-participants (FORBIDDEN), anonymous callers (UNAUTHORIZED), a bad limit and a bad cursor', async () => {
    const { world, chat } = await chatWorld();
    const params = { id: chat.id };
    expect(await codeOf(listMessagesOperation(input(world, mallory, { params })))).toBe('FORBIDDEN');
    expect(await codeOf(listMessagesOperation(input(world, anonymous, { params })))).toBe('UNAUTHORIZED');
    const queries: Record<string, string>[] = [
      { limit: '0' },
      { limit: '101' },
      { limit: 'x' },
      { cursor: 'nonsense' },
    ];
    for (const query of queries) {
      expect(await codeOf(listMessagesOperation(input(world, alice, { params, query })))).toBe(
        'INVALID_MESSAGE',
      );
    }
  });

  it('round-trips cursors and refuses ones it did not make', () => {
    expect(decodeCursor(encodeCursor(123))).toBe(123);
    expect(() => decodeCursor(Buffer.from('b0').toString('base64url'))).toThrow(ProtocolError);
    expect(() => decodeCursor(Buffer.from('123').toString('base64url'))).toThrow(ProtocolError);
  });
});
