import { connect, createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ephemeralPorts, freePort } from '../../../local/ports';
import { reservePort } from '../../../local/server';

let held: Server | undefined;
afterEach(async () => {
  await new Promise<void>((ok) => (held ? held.close(() => ok()) : ok()));
  held = undefined;
});

const listenOn = (port: number) =>
  new Promise<Server>((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok(server));
  });

describe('freePort: a port for a server that listens later', () => {
  it('is outside the range outgoing connections take their ports from, and free', async () => {
    const [low, high] = ephemeralPorts();
    expect(low).toBeGreaterThan(1023);
    expect(high).toBeGreaterThanOrEqual(low);
    for (let i = 0; i < 20; i++) {
      const port = await freePort();
      expect(port < low || port > high, `${port} in ${low}-${high}`).toBe(true);
      expect(port).toBeGreaterThanOrEqual(20_000);
    }
    held = await listenOn(await freePort());
  });

  it("is what the stack's port 0 becomes (reservePort), not what listen(0) would give", async () => {
    const [low, high] = ephemeralPorts();
    const port = await reservePort(0, '127.0.0.1');
    expect(port < low || port > high).toBe(true);
    // An outgoing connection's local port is from the range: it can never be the one reserved.
    held = await listenOn(0);
    const local = await new Promise<number>((ok) => {
      const { port: target } = held!.address() as { port: number };
      const socket = connect(target, '127.0.0.1', () => {
        ok(socket.localPort ?? 0);
        socket.destroy();
      });
    });
    expect(local).toBeGreaterThanOrEqual(low);
    expect(local).toBeLessThanOrEqual(high);
  });
});
