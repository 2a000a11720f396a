import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clientPool, type Frame, unique } from './support/client';
import { shared, token } from './support/stack';

/**
 * A foreign client: Python's `websockets` library, used as the seed documents' Python examples use it
 * (`async with websockets.connect(uri) as ws`, `send(json.dumps(…))`, `recv()`), against the local stack.
 * Debian's /usr/bin/python3 with python3-websockets (.ci/run installs it): the pyenv python3 on PATH
 * cannot see Debian's packages.
 */
/** Elsewhere, SWITCHBOARD_PYTHON names a python3 that can `import websockets`. */
const PYTHON = process.env.SWITCHBOARD_PYTHON ?? '/usr/bin/python3';
const ROOM_CLIENT = resolve(import.meta.dirname, 'python/room_client.py');
const WAIT_MS = 20_000;

const { wsUrl, httpUrl } = shared();
const clients = clientPool();
const running: ChildProcessWithoutNullStreams[] = [];
afterEach(async () => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill();
  await clients.closeAll();
});

/** Runs room_client.py; its stdout is one JSON frame per line. */
function roomClient(args: { room: string; text: string; until: string; token?: string }) {
  const child = spawn(
    PYTHON,
    [ROOM_CLIENT, wsUrl, args.room, args.text, args.until, ...(args.token ? [args.token] : [])],
    // A clean environment: no pyenv or virtualenv variables leaking into Debian's Python.
    { env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' } },
  );
  running.push(child);
  const printed: Frame[] = [];
  let pending = '';
  let stderr = '';
  let wake = () => {};
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) printed.push(JSON.parse(line) as Frame);
    wake();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; stderr: string }>((done) =>
    child.on('close', (code) => {
      wake();
      done({ code, stderr });
    }),
  );

  return {
    printed,
    exited,
    /** The first printed frame that matches (waiting for it if need be). */
    async printedFrame(match: (f: Frame) => boolean, what: string): Promise<Frame> {
      const deadline = Date.now() + WAIT_MS;
      for (;;) {
        const found = printed.find(match);
        if (found) return found;
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`Python printed no ${what}; printed ${JSON.stringify(printed)}; stderr: ${stderr}`);
        }
        await new Promise<void>((woken) => {
          const timer = setTimeout(woken, 200);
          wake = () => {
            clearTimeout(timer);
            woken();
          };
        });
      }
    },
  };
}

describe('a Python client (websockets, as in the seed documents)', () => {
  beforeAll(() => {
    const check = spawnSync(PYTHON, ['-c', 'import websockets'], { env: { PATH: '/usr/bin:/bin' } });
    if (check.status !== 0) {
      throw new Error(
        `${PYTHON} cannot import websockets: install it (Debian: apt-get install python3-websockets) ` +
          'or set SWITCHBOARD_PYTHON to a python3 that can',
      );
    }
  });

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
