import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { TestClient, unique } from './support/client';
import { api } from './support/http';
import { dynamoDbLocalProcesses, eventually, type SpawnedStack, spawnStack } from './support/spawned-stack';
import { token } from './support/stack';

/**
 * The local stack as `npm start` runs it, killed the hard way: its DynamoDB Local goes with it (the
 * watchdog), or, if something left one behind, the next start on the same data directory stops it and
 * says so (the lock file); and that next start clears the killed run's connections, so stats and presence
 * are true again.
 */
const stacks: SpawnedStack[] = [];
const dirs: string[] = [];
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  for (const s of stacks.splice(0))
    if (s.process.exitCode === null && s.process.signalCode === null) await s.stop();
});
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const start = async (args: string[], options?: { detached?: boolean }) => {
  const stack = await spawnStack(args, options);
  stacks.push(stack);
  return stack;
};
const dataDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-crash-'));
  dirs.push(dir);
  return dir;
};
const javaOf = (port: number) => dynamoDbLocalProcesses(port).filter((p) => !p.watchdog);
/** What the watchdog prevents, made to happen: it is killed first, then the stack. Resolves with Java's pid. */
async function orphan(stack: SpawnedStack): Promise<number> {
  const port = stack.dynamodbPort!;
  const [java] = javaOf(port);
  for (const w of dynamoDbLocalProcesses(port).filter((p) => p.watchdog)) process.kill(w.pid, 'SIGKILL');
  stack.process.kill('SIGKILL');
  await stack.exited;
  await new Promise((r) => setTimeout(r, 500));
  expect(running(java!.pid)).toBe(true);
  return java!.pid;
}
const running = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('a local stack killed with SIGKILL', () => {
  it('takes its DynamoDB Local with it', { timeout: 120_000 }, async () => {
    const stack = await start(['--memory']);
    const port = stack.dynamodbPort!;
    expect(javaOf(port)).toHaveLength(1);
    stack.process.kill('SIGKILL');
    expect(await stack.exited).toEqual({ code: null, signal: 'SIGKILL' });
    await eventually(
      () => dynamoDbLocalProcesses(port).length === 0,
      20_000,
      `DynamoDB Local on ${port} ends`,
    );
  });

  it('takes it along too when its whole process group is killed, as a test harness does', {
    timeout: 120_000,
  }, async () => {
    const stack = await start(['--memory'], { detached: true });
    const port = stack.dynamodbPort!;
    expect(javaOf(port)).toHaveLength(1);
    process.kill(-stack.process.pid!, 'SIGKILL');
    await stack.exited;
    await eventually(
      () => dynamoDbLocalProcesses(port).length === 0,
      20_000,
      `DynamoDB Local on ${port} ends`,
    );
  });
});

describe('a DynamoDB Local left behind anyway', () => {
  it('in memory: the next start of any local stack stops it, and says so', { timeout: 120_000 }, async () => {
    const a = await start(['--memory']);
    const port = a.dynamodbPort!;
    const java = await orphan(a);
    const b = await start(['--memory']);
    expect(b.output()).toContain(`Stopping DynamoDB Local (pid ${java}, port ${port}, in memory)`);
    expect(dynamoDbLocalProcesses(port)).toEqual([]);
  });
});

describe('a data directory', () => {
  it('belongs to one stack at a time; restarted after a crash, the DynamoDB Local left behind is stopped and the dead connections are gone from stats and presence', {
    timeout: 180_000,
  }, async () => {
    const dir = await dataDir();
    const a = await start(['--data-dir', dir]);
    const room = unique('room:');
    const [alice, bob] = [unique('alice-'), unique('bob-')];
    for (const sub of [alice, alice, bob]) {
      clients.push(
        await TestClient.connect(a.wsUrl, { token: await token(a.httpUrl, { sub }), channels: [room] }),
      );
    }
    clients.push(await TestClient.connect(a.wsUrl, { channels: [room] }));
    const presencePath = `/v1/channels/${encodeURIComponent(room)}/presence`;
    expect((await api(a.httpUrl, 'GET', presencePath)).body).toMatchObject({ count: 4, anonymous: 1 });
    expect((await api(a.httpUrl, 'GET', '/v1/stats')).body).toMatchObject({ connections: 4, users: 2 });
    // One stack per data directory: a second one is refused while this one runs.
    await expect(spawnStack(['--data-dir', dir])).rejects.toThrow(
      /another local stack \(pid \d+\) uses this data directory with DynamoDB Local/,
    );
    expect(javaOf(a.dynamodbPort!)).toHaveLength(1);

    const port = a.dynamodbPort!;
    const java = await orphan(a);

    const b = await start(['--data-dir', dir]);
    expect(b.output()).toContain(`Stopping DynamoDB Local (pid ${java}, port ${port}, ${dir}/dynamodb)`);
    expect(dynamoDbLocalProcesses(port)).toEqual([]);
    expect(b.output()).toMatch(/4 connections of a previous run that did not stop cleanly/);
    expect((await api(b.httpUrl, 'GET', '/v1/stats')).body).toMatchObject({
      connections: 0,
      channels: 0,
      users: 0,
    });
    expect((await api(b.httpUrl, 'GET', presencePath)).body).toMatchObject({
      count: 0,
      users: [],
      anonymous: 0,
    });

    // And the restarted stack counts what is really there.
    clients.push(
      await TestClient.connect(b.wsUrl, { token: await token(b.httpUrl, { sub: bob }), channels: [room] }),
    );
    expect((await api(b.httpUrl, 'GET', presencePath)).body).toMatchObject({
      count: 1,
      users: [{ id: bob }],
    });
    expect((await api(b.httpUrl, 'GET', '/v1/stats')).body).toMatchObject({ connections: 1, users: 1 });
  });
});
