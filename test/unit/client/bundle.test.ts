import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { benchClientSize } from '../../../bench/client-size';
import { bundleClient, CONSOLE_BUNDLE } from '../../../client/bundle';
import type * as Client from '../../../client/index';
import { FakeServer } from './fake-server';

describe('the client bundle the console imports (web/switchboard-client.js)', () => {
  it('is current: the same as a fresh build of client/ (else run npm run build:client)', async () => {
    const committed = await readFile(CONSOLE_BUNDLE, 'utf8');
    expect(committed === (await bundleClient({ minify: false })), 'run `npm run build:client`').toBe(true);
  });

  it('runs: its Switchboard connects and subscribes (here to the fake server)', async () => {
    const { Switchboard } = (await import(pathToFileURL(CONSOLE_BUNDLE).href)) as typeof Client;
    const server = new FakeServer();
    const sb = new Switchboard('ws://bundle.test/local', {
      WebSocket: server.WebSocket,
      fetch: server.fetch,
    });
    const sub = sb.subscribe('room:a');
    const subscribed = new Promise((resolve) => sub.on('subscribed', resolve));
    sb.connect();
    expect(await subscribed).toEqual({ channel: 'room:a', seq: 0 });
    expect(sb.state).toBe('connected');
    sb.close();
  });

  it('stays within its budget: 8 KB minified and gzipped', async () => {
    const size = await benchClientSize();
    expect(size.gzipBytes).toBeGreaterThan(1000);
    expect(size.gzipBytes).toBeLessThanOrEqual(8 * 1024);
  });
});
