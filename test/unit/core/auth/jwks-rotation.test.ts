import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../shared/app/config';
import { createTokenVerifier } from '../../../../shared/core/auth/jwt';
import { AUDIENCE, ISSUER, testIssuer } from '../../../support/tokens';

/** A remote key set (JWKS_URL) at an issuer that rotates its key, served on loopback. */
let keys: JSONWebKeySet = { keys: [] };
let fetches = 0;
const server = createServer((_req, res) => {
  fetches++;
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(keys));
});
let url = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const verifier = (env: Record<string, string> = {}) =>
  createTokenVerifier(loadConfig({ JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, JWKS_URL: url, ...env }).auth);

describe('a remote key set', () => {
  it('defaults to a 30 s refetch cooldown and a 10 minute cache', () => {
    const { auth } = loadConfig({});
    expect([auth.jwksCooldownSeconds, auth.jwksCacheSeconds]).toEqual([30, 600]);
  });

  it('is fetched once and cached; within the cooldown an unknown kid does not make it fetch again', async () => {
    const [a, b] = [await testIssuer('a'), await testIssuer('b')];
    keys = a.jwks;
    fetches = 0;
    const v = verifier();
    expect((await v.verify(await a.sign({ sub: 'one' }))).sub).toBe('one');
    expect((await v.verify(await a.sign({ sub: 'two' }))).sub).toBe('two');
    keys = b.jwks;
    // A flood of made-up kids cannot become a flood of requests to the issuer.
    await expect(v.verify(await b.sign({ sub: 'three' }))).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(fetches).toBe(1);
  });

  it('is fetched again for an unknown kid once the cooldown allows: the new key passes, the old fails', async () => {
    const [a, b] = [await testIssuer('a'), await testIssuer('b')];
    keys = a.jwks;
    fetches = 0;
    const v = verifier({ JWKS_COOLDOWN_SECONDS: '0' });
    expect((await v.verify(await a.sign({ sub: 'one' }))).sub).toBe('one');
    keys = b.jwks;
    expect((await v.verify(await b.sign({ sub: 'two' }))).sub).toBe('two');
    expect(fetches).toBe(2);
    await expect(v.verify(await a.sign({ sub: 'three' }))).rejects.toMatchObject({
      reason: 'no matching key',
    });
  });
});
