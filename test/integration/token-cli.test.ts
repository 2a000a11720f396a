import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../local/handlers';
import { unique } from './support/client';
import { publish, shared } from './support/stack';

const run = promisify(execFile);
const { httpUrl } = shared();
const options = { cwd: PROJECT_ROOT, env: { ...process.env, NODE_NO_WARNINGS: '1' } };
/** Exactly what a developer types: `npm run -s token -- …`. */
const npmToken = (args: string[]) => run('npm', ['run', '-s', 'token', '--', ...args], options);
const tokenCli = (args: string[]) =>
  run(resolve(PROJECT_ROOT, 'node_modules/.bin/tsx'), ['local/token-cli.ts', ...args], options);

describe('npm run token', () => {
  it('prints only a token, which the running stack accepts', async () => {
    const sub = unique('cli-');
    const { stdout } = await npmToken([
      '--sub',
      sub,
      '--orgs',
      'acme,beta',
      '--scope',
      'realtime:publish',
      '--name',
      'CLI User',
      '--ttl',
      '600',
      '--url',
      httpUrl,
    ]);
    expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const token = stdout.trim();
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      sub,
      orgs: ['acme', 'beta'],
      scope: 'realtime:publish',
      name: 'CLI User',
    });
    expect(claims.exp! - claims.iat!).toBe(600);

    const res = await publish(httpUrl, token, { channel: unique('room:'), type: 'hello', data: {} });
    expect(res.status).toBe(202);
  });

  it('says clearly when no stack is running, and exits 1', async () => {
    const error = await tokenCli(['--sub', 'alice', '--url', 'http://127.0.0.1:9']).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 1, stdout: '' });
    expect((error as { stderr: string }).stderr).toContain('No local stack answers at http://127.0.0.1:9');
  });
});
