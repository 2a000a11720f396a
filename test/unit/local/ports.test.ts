import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ephemeralPorts, freePort } from '../../../local/ports';
import { reservePort } from '../../../local/server';
import { holdPort } from '../../support/ports';

let held: Awaited<ReturnType<typeof holdPort>> | undefined;
afterEach(async () => {
  await held?.release();
  held = undefined;
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
    held = await holdPort(await freePort());
  });

  it("is what the stack's port 0 becomes (reservePort), not what listen(0) would give", async () => {
    const [low, high] = ephemeralPorts();
    const port = await reservePort(0, '127.0.0.1');
    expect(port < low || port > high).toBe(true);
    // An outgoing connection's local port is from the range: it can never be the one reserved.
    held = await holdPort();
    const target = held.port;
    const local = await new Promise<number>((ok) => {
      const socket = connect(target, '127.0.0.1', () => {
        ok(socket.localPort ?? 0);
        socket.destroy();
      });
    });
    expect(local).toBeGreaterThanOrEqual(low);
    expect(local).toBeLessThanOrEqual(high);
  });
});
