import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONTRACT_FILES } from '../../contract/index';
import { shared } from './support/stack';

/** The local stack serves the committed contract documents, byte for byte, on the HTTP API's port. */
const { httpUrl } = shared();

describe('GET /openapi.json and /asyncapi.json', () => {
  it.each(Object.entries(CONTRACT_FILES))('/%s.json answers %s', async (name, file) => {
    const res = await fetch(new URL(`/${name}.json`, httpUrl));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.text()).toBe(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8'));
  });

  it('answers nothing but GET and HEAD', async () => {
    const res = await fetch(new URL('/openapi.json', httpUrl), { method: 'POST', body: '{}' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });
});
