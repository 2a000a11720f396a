import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { reservePort } from '../../local/server';
import { startTestStack } from './support/stack';

/**
 * A start that fails leaves nothing listening (local/server.ts `reservePort` learns the port first; the
 * stack opens it once it is ready): what a second start on the same ports relies on.
 */
const free = async (port: number) => {
  const probe = createServer();
  const ok = await new Promise<boolean>((resolve) => {
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (ok) await new Promise<void>((resolve) => probe.close(() => resolve()));
  return ok;
};

describe('starting a local stack', () => {
  it('fails on a bad handler variable, leaving its ports free', async () => {
    const port = await reservePort(0, '127.0.0.1');
    const sqsPort = await reservePort(0, '127.0.0.1');
    await expect(startTestStack({ port, sqsPort, env: { RATE_LIMIT_PER_MINUTE: 'many' } })).rejects.toThrow(
      /RATE_LIMIT_PER_MINUTE/,
    );
    expect(await free(port)).toBe(true);
    expect(await free(sqsPort)).toBe(true);
  });

  it('says a port in use is in use', async () => {
    const other = createServer();
    await new Promise<void>((ok) => other.listen(0, '127.0.0.1', ok));
    const { port } = other.address() as { port: number };
    try {
      await expect(startTestStack({ port })).rejects.toThrow(`Port ${port} on 127.0.0.1 is in use`);
    } finally {
      await new Promise<void>((ok) => other.close(() => ok()));
    }
  });
});
