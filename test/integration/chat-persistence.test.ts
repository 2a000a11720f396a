import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/index';
import { TestClient, unique } from './support/client';
import { api } from './support/http';

/**
 * A chat's history survives a stop and a start of the local stack with the same data directory: these
 * stacks run their own database on disk in a temporary directory (see persistence.test.ts).
 */
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function chatSurvivesRestart(options: LocalStackOptions) {
  const dataDir = await mkdtemp(join(tmpdir(), 'switchboard-chat-'));
  dirs.push(dataDir);
  const base: LocalStackOptions = {
    ...options,
    dataDir,
    port: 0,
    logLevel: 'silent',
    env: { LOG_LEVEL: 'SILENT' },
  };
  const alice = unique('alice-');
  const bob = unique('bob-');
  const sent: string[] = [];
  let chatId: string;

  const first: LocalStack = await startLocalStack(base);
  try {
    const aliceToken = await first.issuer.mint({ sub: alice });
    const created = await api(first.httpUrl, 'POST', '/v1/chats', {
      bearer: aliceToken,
      body: { participants: [bob] },
    });
    expect(created.status).toBe(201);
    chatId = String(created.body.id);
    const client = await TestClient.connect(first.wsUrl, { token: aliceToken, channels: [`chat:${chatId}`] });
    for (let i = 1; i <= 5; i++) {
      await client.request({ content: `over ws ${i}` }, 'ack');
      sent.push(`over ws ${i}`);
    }
    await client.close();
    for (let i = 1; i <= 5; i++) {
      const r = await api(first.httpUrl, 'POST', `/v1/chats/${chatId}/messages`, {
        bearer: aliceToken,
        body: { content: `over rest ${i}` },
      });
      expect(r.status).toBe(201);
      sent.push(`over rest ${i}`);
    }
  } finally {
    await first.stop();
  }

  const second = await startLocalStack({ ...base, port: first.port });
  try {
    const bobToken = await second.issuer.mint({ sub: bob });
    const chat = await api(second.httpUrl, 'GET', `/v1/chats/${chatId}`, { bearer: bobToken });
    expect(chat).toMatchObject({ status: 200, body: { id: chatId, participants: [alice, bob].sort() } });
    const listed = await api(second.httpUrl, 'GET', `/v1/chats/${chatId}/messages?limit=100`, {
      bearer: bobToken,
    });
    expect(listed.status).toBe(200);
    const messages = listed.body.messages as { content: string; seq: number; sender: { id: string } }[];
    expect(messages.map((m) => m.content)).toEqual([...sent].reverse());
    expect(messages.map((m) => m.seq)).toEqual(Array.from({ length: 10 }, (_, i) => 10 - i));
    expect(new Set(messages.map((m) => m.sender.id))).toEqual(new Set([alice]));
    expect(listed.body.next).toBeNull();

    // The sequence goes on where it stopped, and recovery reads the old history.
    const client = await TestClient.connect(second.wsUrl, { token: bobToken });
    const subscribed = await client.request(
      { type: 'subscribe', channel: `chat:${chatId}`, since: 8 },
      'subscribed',
    );
    expect(subscribed).toMatchObject({ seq: 10, recovered: true });
    expect((await client.nextOfType('message')).seq).toBe(9);
    expect((await client.nextOfType('message')).seq).toBe(10);
    expect(await client.request({ content: 'after the restart' }, 'ack')).toMatchObject({ seq: 11 });
    await client.close();
  } finally {
    await second.stop();
  }
}

describe('chat history on disk', () => {
  it('is all there after stop() and a new start with the same data dir (DynamoDB Local)', async () => {
    await chatSurvivesRestart({});
  }, 60_000);

  it('is all there with dynalite too, the fallback where there is no Java', async () => {
    await chatSurvivesRestart({ dynamodbEngine: 'dynalite' });
  }, 60_000);
});
