import { describe, expect, it } from 'vitest';
import { reservePort } from '../../local/server';
import { canListen, holdPort } from '../support/ports';
import { startTestStack } from './support/stack';

/**
 * A start that fails leaves nothing listening (local/server.ts `reservePort` learns the port first; the
 * stack opens it once it is ready): what a second start on the same ports relies on.
 */
describe('starting a local stack', () => {
  it('fails on a bad handler variable, leaving its ports free', async () => {
    const port = await reservePort(0, '127.0.0.1');
    const sqsPort = await reservePort(0, '127.0.0.1');
    await expect(startTestStack({ port, sqsPort, env: { RATE_LIMIT_PER_MINUTE: 'many' } })).rejects.toThrow(
      /RATE_LIMIT_PER_MINUTE/,
    );
    expect(await canListen(port)).toBe(true);
    expect(await canListen(sqsPort)).toBe(true);
  });

  it('says a port in use is in use', async () => {
    const { port, release } = await holdPort();
    try {
      await expect(startTestStack({ port })).rejects.toThrow(`Port ${port} on 127.0.0.1 is in use`);
    } finally {
      await release();
    }
  });
});
