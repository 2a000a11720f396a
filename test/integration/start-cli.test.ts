import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { settingNames } from '../../infra/settings';
import { PROJECT_ROOT } from '../../local/handlers';
import { TestClient } from './support/client';

/**
 * `npm start` itself, in a child process: a stack property given with `-c` reaches the handlers, the
 * shortened API Gateway limits close connections, and a wrong command line starts nothing.
 */
const LIFETIME_S = 5;
const IDLE_S = 2;
const RATE = 3;
const env = { ...process.env, NODE_NO_WARNINGS: '1' };
const npmStart = (args: string[]) =>
  promisify(execFile)('npm', ['start', '--', ...args], { cwd: PROJECT_ROOT, env, timeout: 60_000 });

describe('npm start -c rateLimitPerMinute=3 --max-lifetime 5 --idle-timeout 2', () => {
  let child: ChildProcess;
  let wsUrl: string;
  let output = '';

  beforeAll(async () => {
    // Node with tsx's loader rather than npm → tsx → node: one process, so the signal reaches the stack.
    child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'local/cli.ts',
        '--port',
        '0',
        '--dynamodb-endpoint',
        inject('dynamodbEndpoint'),
        '-c',
        `rateLimitPerMinute=${RATE}`,
        '--max-lifetime',
        String(LIFETIME_S),
        '--idle-timeout',
        String(IDLE_S),
      ],
      { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const ready = await new Promise<string>((resolve, reject) => {
      const collect = (chunk: Buffer) => {
        output += chunk.toString();
        const url = /ready on (http:\/\/\S+)/.exec(output)?.[1];
        if (url) resolve(url);
      };
      child.stdout!.on('data', collect);
      child.stderr!.on('data', collect);
      child.once('exit', (code) => reject(new Error(`npm start exited ${code}:\n${output}`)));
    });
    wsUrl = `${ready.replace('http:', 'ws:')}/local`;
  });

  afterAll(async () => {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('shows the property and the shortened limits in its banner', () => {
    expect(output).toContain(`  Properties rateLimitPerMinute=${RATE}\n`);
    expect(output).toContain(
      `  Limits     max lifetime ${LIFETIME_S} s, idle timeout ${IDLE_S} s (API Gateway: 7200 s, 600 s)\n`,
    );
  });

  it('closes a connection that sends nothing after the idle timeout, with 1001 Going away', async () => {
    const client = await TestClient.connect(wsUrl);
    const opened = performance.now();
    expect(await client.closed).toEqual({ code: 1001, reason: 'Going away' });
    const seconds = (performance.now() - opened) / 1000;
    expect(seconds).toBeGreaterThan(IDLE_S - 0.5);
    expect(seconds).toBeLessThan(LIFETIME_S);
  });

  it('refuses the 4th frame of a minute with RATE_LIMITED, and closes the busy connection at its lifetime', {
    timeout: 45_000,
  }, async () => {
    // The limit counts per calendar minute: the four frames must fall into one.
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 10_000) await new Promise((resolve) => setTimeout(resolve, left + 100));
    const client = await TestClient.connect(wsUrl);
    const opened = performance.now();
    for (let n = 1; n <= RATE; n++) {
      expect(await client.request({ type: 'ping', timestamp: `p${n}` }, 'pong')).toMatchObject({
        timestamp: `p${n}`,
      });
    }
    expect(await client.request({ type: 'ping', timestamp: 'p4' }, 'error')).toMatchObject({
      code: 'RATE_LIMITED',
      message: `More than ${RATE} frames in a minute; this frame was not processed`,
    });
    // Data frames keep it from idling out (refused ones too: the emulator counts frames, not replies).
    const busy = setInterval(() => client.send({ type: 'ping' }), 400);
    const closed = await client.closed;
    clearInterval(busy);
    expect(closed).toEqual({ code: 1001, reason: 'Going away' });
    expect((performance.now() - opened) / 1000).toBeGreaterThan(LIFETIME_S - 0.5);
  });
});

describe('npm start with a wrong command line', () => {
  it('starts nothing, lists every problem in one message and exits 1', async () => {
    const failure = await npmStart([
      '--memory',
      '-c',
      'rateLimitPerMinute=0',
      '-c',
      'tableRemovalPolicy=keep',
      '--idle-timeout',
      '900',
    ]).then(
      () => undefined,
      (error: unknown) => error as { code: number; stdout: string; stderr: string },
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain(
      [
        'npm start: ',
        '  - --idle-timeout must be a number of seconds above 0 and at most 600, got "900"',
        '  - -c tableRemovalPolicy=keep: expected retain, destroy or snapshot',
        '  - rateLimitPerMinute must be a whole number ≥ 1, got 0',
        '(npm start -- --help lists the options and properties)',
      ].join('\n'),
    );
    // Refused before DynamoDB or the server started: nothing to stop.
    expect(failure?.stdout).not.toMatch(/DynamoDB|ready on/);
  });

  it('--help lists every stack property', async () => {
    const { stdout } = await npmStart(['--help']);
    for (const name of settingNames) expect(stdout).toContain(`\n  ${name}=`);
  });
});
