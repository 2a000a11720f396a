import { describe, expect, it } from 'vitest';
import { ConnectionRegistry, type SocketControl } from '../../../local/connection-registry';
import { type ConnectionsCall, createConnectionsApi } from '../../../local/connections-api';
import { SigV4Signer } from '../../../shared/adapters/aws/signer';
import { PostSigner } from '../../../shared/adapters/management-api/post-signer';

/**
 * The Management API's answers with a batch (what the wire reader gives it, connections-wire.ts): a post's
 * frame waits in the batch until `send`, counts against the connection's buffer meanwhile, and goes before a
 * close of the same connection later in the chunk. Signed by the project's own signer, checked by the
 * emulator's SigV4 verifier, as in the stack.
 */
const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' };
const signer = new PostSigner('us-east-1', 'execute-api', async () => credentials);
const anySigner = new SigV4Signer('us-east-1', 'execute-api', async () => credentials);
const HOST = '127.0.0.1:4000';

function setUp(maxBufferedBytes = 1_000) {
  const registry = new ConnectionRegistry();
  const events: string[] = [];
  const open = (name: string) => {
    const connection = registry.create({ sourceIp: '127.0.0.1' }, Date.now());
    const socket: SocketControl = {
      open: true,
      bufferedBytes: 0,
      send: (data) => events.push(`${name} got ${data.toString()}`),
      close: () => events.push(`${name} closed`),
    };
    connection.socket = socket;
    return connection.id;
  };
  const api = createConnectionsApi({ registry, credentials, region: 'us-east-1', maxBufferedBytes });
  return { api, open, events };
}

async function call(method: 'POST' | 'DELETE', id: string, text = ''): Promise<ConnectionsCall> {
  const path = `/local/@connections/${encodeURIComponent(id)}`;
  const body = Buffer.from(text);
  if (method === 'DELETE') {
    const headers = await anySigner.sign({ method, host: HOST, path });
    return { method, url: path, rawPath: path, rawHeaders: Object.entries(headers).flat(), body };
  }
  const headers = await signer.sign(HOST, path, body);
  return { method, url: path, rawPath: path, rawHeaders: Object.entries(headers).flat(), body };
}

describe('the Management API with a batch of frames', () => {
  it('answers every post of a chunk first and sends their frames together, in order', async () => {
    const { api, open, events } = setUp();
    const a = open('a');
    const b = open('b');
    const batch = api.batch();
    const statuses = [
      api.answer(await call('POST', a, 'one'), batch).status,
      api.answer(await call('POST', b, 'two'), batch).status,
      api.answer(await call('POST', a, 'three'), batch).status,
    ];
    expect(statuses).toEqual([200, 200, 200]);
    expect(events).toEqual([]);
    batch.send();
    expect(events).toEqual(['a got one', 'b got two', 'a got three']);
    batch.send();
    expect(events).toHaveLength(3);
  });

  it("counts the frames waiting for a connection against its buffer: past it a post is 429, another's is not", async () => {
    const { api, open, events } = setUp(10);
    const a = open('a');
    const b = open('b');
    const batch = api.batch();
    expect(api.answer(await call('POST', a, '123456'), batch).status).toBe(200);
    const refused = api.answer(await call('POST', a, '123456'), batch);
    expect(refused.status).toBe(429);
    expect(refused.headers['x-amzn-ErrorType']).toBe('LimitExceededException');
    expect(api.answer(await call('POST', b, '123456'), batch).status).toBe(200);
    batch.send();
    expect(events).toEqual(['a got 123456', 'b got 123456']);
  });

  it('sends the frames posted before a close of the same connection first', async () => {
    const { api, open, events } = setUp();
    const a = open('a');
    const b = open('b');
    const batch = api.batch();
    expect(api.answer(await call('POST', a, 'last words'), batch).status).toBe(200);
    expect(api.answer(await call('POST', b, 'for b'), batch).status).toBe(200);
    expect(api.answer(await call('DELETE', a), batch).status).toBe(204);
    expect(api.answer(await call('POST', b, 'after'), batch).status).toBe(200);
    batch.send();
    expect(events).toEqual(['a got last words', 'b got for b', 'a closed', 'b got after']);
  });

  it('posts at once without a batch (the node:http path)', async () => {
    const { api, open, events } = setUp();
    const a = open('a');
    expect(api.answer(await call('POST', a, 'now')).status).toBe(200);
    expect(events).toEqual(['a got now']);
  });

  it('refuses a bad signature with nothing queued or sent', async () => {
    const { api, open, events } = setUp();
    const a = open('a');
    const batch = api.batch();
    const forged = await call('POST', a, 'real');
    const answer = api.answer({ ...forged, body: Buffer.from('fake') }, batch);
    expect(answer.status).toBe(403);
    expect(answer.headers['x-amzn-ErrorType']).toBe('InvalidSignatureException');
    batch.send();
    expect(events).toEqual([]);
  });
});
