import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/index';
import { unique } from '../integration/support/client';
import { api } from '../integration/support/http';
import { startTestStack, token } from '../integration/support/stack';
import { seed002DeviceStatus, seed002SensorDataUpdate } from '../support/seed-examples';
import { pythonLiteral, pythonPool, requirePythonModule } from './support/python';

/**
 * The seed documents' own Python, verbatim (test/fixtures/seeds/, README there says where each came
 * from), against the local stack's seed port; only the host's port changes. Seed 001's chat client
 * (`websockets`, Debian's python3-websockets) and seed 002's sensor client (`websocket-client`, Debian's
 * python3-websocket) each see the frames their document shows.
 */
const FIXTURES = resolve(import.meta.dirname, '../fixtures/seeds');
let stack: LocalStack;
let dir: string;
const pythons = pythonPool();

beforeAll(async () => {
  requirePythonModule('websockets', 'python3-websockets');
  requirePythonModule('websocket', 'python3-websocket');
  stack = await startTestStack({ seedPort: 0 });
  dir = mkdtempSync(join(tmpdir(), 'seed-python-'));
});
afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});
afterEach(() => pythons.stopAll());

/** The fixture with `:8000` → the seed port, written where Python can run it. */
function script(name: string): string {
  const port = new URL(stack.seedUrl!).port;
  const code = readFileSync(resolve(FIXTURES, name), 'utf8').replaceAll(
    /ws:\/\/(localhost|127\.0\.0\.1):8000/g,
    `ws://$1:${port}`,
  );
  const path = join(dir, name.replaceAll('-', '_'));
  writeFileSync(path, code);
  return path;
}

const isoTime = expect.stringMatching(/^\d{4}-\d\d-\d\dT/);

describe('seed Python clients on the seed port', () => {
  it('001 (websockets): its chat_message comes back as the first frame, in the seed shape', async () => {
    const python = pythons.run(script('001-chat.py'), []);
    const { code, stderr } = await python.exited;
    expect(code, stderr).toBe(0);
    expect(python.printed).toEqual([
      { type: 'chat_message', message: 'Hello from Python', username: 'PythonBot', timestamp: isoTime },
    ]);
  });

  it('002 (websocket-client): its reading comes back as sensor_data_update; a status as device_status', async () => {
    const admin = await token(stack.httpUrl, { sub: unique('admin-'), scope: 'realtime:admin' });
    // The document's sensor 1 on device 1, "Hydroponic System 1".
    for (const [path, body] of [
      ['/v1/devices/1', { name: 'Hydroponic System 1' }],
      ['/v1/sensors/1', { device_id: '1', sensor_type: 'temperature', unit: 'celsius' }],
    ] as const) {
      const put = await api(stack.httpUrl, 'PUT', path, { bearer: admin, body });
      expect(put.status, JSON.stringify(put.body)).toBeLessThan(300);
    }
    // It prints "Connection opened", then "Received: {…}" (a Python dict) for every frame.
    const python = pythons.run(script('002-sensor-data.py'), [], (line) =>
      line.startsWith('Received: ')
        ? (pythonLiteral(line.slice('Received: '.length)) as Record<string, unknown>)
        : { printed: line },
    );
    const reading = await python.printedFrame((f) => f.type === 'sensor_data_update', 'its reading');
    expect(reading).toEqual(seed002SensorDataUpdate(isoTime));
    const status = await api(stack.httpUrl, 'PUT', '/v1/devices/1/status', {
      bearer: admin,
      body: { status: 'active' },
    });
    expect(status.status).toBe(202);
    expect(await python.printedFrame((f) => f.type === 'device_status', 'the status')).toEqual(
      seed002DeviceStatus(isoTime),
    );
    expect(python.printed[0]).toEqual({ printed: 'Connection opened' });
    expect(python.printed.filter((f) => f.type === 'error')).toEqual([]);
  });
});
