import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/index';
import { TestClient, unique } from './support/client';
import { publish } from './support/stack';

/**
 * Data survives a stop and a start with the same data directory. These stacks start their own database
 * (DynamoDB Local, and dynalite as the fallback without Java), on disk in a temporary directory.
 */
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function restartKeepsData(options: LocalStackOptions) {
  const dataDir = await mkdtemp(join(tmpdir(), 'switchboard-persist-'));
  dirs.push(dataDir);
  const room = unique('room:');
  const base: LocalStackOptions = {
    ...options,
    dataDir,
    port: 0,
    logLevel: 'silent',
    env: { LOG_LEVEL: 'SILENT' },
  };

  let first: LocalStack | undefined = await startLocalStack(base);
  let token: string;
  try {
    token = await first.issuer.mint({ sub: unique('svc-'), scope: 'realtime:publish' });
    const client = await TestClient.connect(first.wsUrl, { channels: [room] });
    await client.request({ type: 'publish', channel: room, data: { text: 'kept' } }, 'ack');
    await client.close();
  } finally {
    await first.stop();
  }
  const port = first.port;
  first = undefined;

  // The same port: the issuer is the stack's URL, so the token of the first run stays valid.
  const second = await startLocalStack({ ...base, port });
  try {
    const history = await fetch(`${second.httpUrl}/v1/channels/${encodeURIComponent(room)}/history?since=0`);
    expect(history.status).toBe(200);
    const { messages } = (await history.json()) as { messages: { seq: number; data: unknown }[] };
    expect(messages).toMatchObject([{ seq: 1, data: { text: 'kept' } }]);
    expect((await publish(second.httpUrl, token, { channel: room, type: 'again', data: {} })).status).toBe(
      202,
    );
  } finally {
    await second.stop();
  }
}

describe('data on disk', () => {
  it('survives stop() and a new start with the same data dir (DynamoDB Local)', async () => {
    await restartKeepsData({});
  }, 60_000);

  it('survives it with dynalite too, the fallback where there is no Java', async () => {
    await restartKeepsData({ dynamodbEngine: 'dynalite' });
  }, 60_000);
});
