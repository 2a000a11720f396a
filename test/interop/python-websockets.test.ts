import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clientPool, unique } from '../integration/support/client';
import { shared, token } from '../integration/support/stack';
import { pythonPool, requirePythonModule } from './support/python';

/**
 * A foreign client: Python's `websockets` library, used as the seed documents' Python examples use it
 * (`async with websockets.connect(uri) as ws`, `send(json.dumps(…))`, `recv()`), against the local stack.
 * Debian's python3-websockets; see support/python.ts for which python3.
 */
const { wsUrl, httpUrl } = shared();
const clients = clientPool();
const pythons = pythonPool();
afterEach(async () => {
  pythons.stopAll();
  await clients.closeAll();
});

/** Runs room_client.py; its stdout is one JSON frame per line. */
const roomClient = (args: { room: string; text: string; until: string; token?: string }) =>
  pythons.run('room_client.py', [
    wsUrl,
    args.room,
    args.text,
    args.until,
    ...(args.token ? [args.token] : []),
  ]);

describe('a Python client (websockets, as in the seed documents)', () => {
  beforeAll(() => requirePythonModule('websockets', 'python3-websockets'));

  it('joins a room anonymously, publishes to a ws client there and receives what that client publishes', async () => {
    const room = unique('room:');
    const node = await clients.connect(wsUrl, { channels: [room] });
    const python = roomClient({ room, text: 'hello from Python', until: 'bye from Node' });

    const established = await python.printedFrame(
      (f) => f.type === 'connection.established',
      'connection.established',
    );
    expect(established).toMatchObject({ user_id: null, channels: [room], connection_id: expect.any(String) });
    const ack = await python.printedFrame((f) => f.type === 'ack', 'ack');
    expect(ack).toMatchObject({ channel: room, seq: 1 });

    expect(await node.nextOfType('publication')).toMatchObject({
      channel: room,
      id: ack.id,
      seq: 1,
      sender: null,
      data: { text: 'hello from Python' },
    });

    // Its own publication reaches it too; only then the last word, which ends the script.
    await python.printedFrame((f) => f.type === 'publication' && f.id === ack.id, 'its own publication');
    const reply = await node.request(
      { type: 'publish', channel: room, data: { text: 'bye from Node' } },
      'ack',
    );
    const { code, stderr } = await python.exited;
    expect(code, stderr).toBe(0);
    expect(python.printed.filter((f) => f.type === 'publication')).toEqual([
      expect.objectContaining({ id: ack.id, seq: 1, data: { text: 'hello from Python' } }),
      expect.objectContaining({ id: reply.id, seq: 2, sender: null, data: { text: 'bye from Node' } }),
    ]);
  });

  it('connects with ?token=: its user id, its user channel, and its name on what it publishes', async () => {
    const room = unique('room:');
    const sub = unique('py-');
    const node = await clients.connect(wsUrl, { channels: [room] });
    const python = roomClient({
      room,
      text: 'signed, Python',
      until: 'received',
      token: await token(httpUrl, { sub, name: 'Monty' }),
    });

    const established = await python.printedFrame(
      (f) => f.type === 'connection.established',
      'connection.established',
    );
    expect(established.user_id).toBe(sub);
    expect([...(established.channels as string[])].sort()).toEqual([room, `user:${sub}`].sort());

    expect(await node.nextOfType('publication')).toMatchObject({
      channel: room,
      sender: { id: sub, username: 'Monty' },
      data: { text: 'signed, Python' },
    });
    node.send({ type: 'publish', channel: room, data: { text: 'received' } });
    const { code, stderr } = await python.exited;
    expect(code, stderr).toBe(0);
    expect(python.printed.at(-1)).toMatchObject({ type: 'publication', data: { text: 'received' } });
  });
});
