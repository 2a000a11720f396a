import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJsonFile, writePrivateJson } from './json-file';
import type { LocalLog } from './log';

/**
 * Who owns which DynamoDB Local: the second line of defence behind the watchdog in dynamodb.ts (which ends
 * Java when the stack's process ends, however it ends). A lock file names the stack's process (`owner`)
 * and its DynamoDB Local (`pid`, `port`), so that a start finds what a run killed before it could stop
 * left behind, stops it and says so; and never starts a second DynamoDB Local on a data directory.
 *
 * - On a data directory: `{dataDir}/dynamodb-local.lock`. If its owner still runs, the start is refused.
 * - In memory: one file per instance in `{tmpdir}/switchboard-dynamodb-local/`; every start stops the
 *   instances there whose owner is gone.
 *
 * A pid is only acted on if that process is DynamoDB Local on the recorded port (its command line says
 * so), never because a number in a file names it: pids are reused.
 */
export interface DynamoDbLocalLock {
  /** Records the DynamoDB Local that was started under this lock. */
  started(pid: number, port: number): Promise<void>;
  /** Once it has stopped. Synchronous: it also runs in a process `exit` hook. */
  release(): void;
}

interface LockRecord {
  /** The local stack's process. */
  owner: number;
  /** DynamoDB Local's process; null while it starts. */
  pid: number | null;
  port: number | null;
  dbPath: string | null;
}

export const LOCK_FILE = 'dynamodb-local.lock';
export const MEMORY_REGISTRY = join(tmpdir(), 'switchboard-dynamodb-local');
const STOP_WAIT_MS = 10_000;
/** A lock file still empty this long after it was created is being written by a start under way. */
const STARTING_GRACE_MS = 5_000;

/** Locks a data directory (`dbPath`), or registers an in-memory instance (`dbPath` null). */
export async function lockDynamoDbLocal(
  dataDir: string | null,
  dbPath: string | null,
  log: LocalLog,
): Promise<DynamoDbLocalLock> {
  await reapOrphans(log);
  if (dataDir === null) {
    await mkdir(MEMORY_REGISTRY, { recursive: true });
    let file: string | null = null;
    return {
      async started(pid, port) {
        file = join(MEMORY_REGISTRY, `${process.pid}-${pid}.json`);
        await writeRecord(file, { owner: process.pid, pid, port, dbPath: null }, 'w');
      },
      release: () => {
        if (file) rmSync(file, { force: true });
      },
    };
  }
  const file = join(dataDir, LOCK_FILE);
  await claim(file, dbPath, log);
  return {
    started: (pid, port) => writeRecord(file, { owner: process.pid, pid, port, dbPath }, 'w'),
    release: () => rmSync(file, { force: true }),
  };
}

/** Takes the lock file of a data directory, clearing a stale one (stopping its DynamoDB Local first). */
async function claim(file: string, dbPath: string | null, log: LocalLog): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await writeRecord(file, { owner: process.pid, pid: null, port: null, dbPath }, 'wx');
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 2) throw error;
    }
    const held = await readRecord(file);
    if (!held && (await youngerThan(file, STARTING_GRACE_MS))) {
      throw new Error(`${file}: another local stack is starting on this data directory`);
    }
    if (held && isAlive(held.owner)) {
      const java = held.pid !== null && held.port !== null && isDynamoDbLocal(held.pid, held.port);
      if (java || held.pid === null) {
        throw new Error(
          `${file}: another local stack (pid ${held.owner}) uses this data directory` +
            `${java ? ` with DynamoDB Local (pid ${held.pid})` : ''}; stop it, or start with another --data-dir`,
        );
      }
    } else if (held) {
      await stopOrphan(held, log);
    }
    await rm(file, { force: true });
  }
}

/** Stops the in-memory DynamoDB Locals whose stack is gone, and forgets their files. */
async function reapOrphans(log: LocalLog): Promise<void> {
  let names: string[];
  try {
    names = await readdir(MEMORY_REGISTRY);
  } catch {
    return;
  }
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const file = join(MEMORY_REGISTRY, name);
    const held = await readRecord(file);
    if (held && isAlive(held.owner)) continue;
    if (held) await stopOrphan(held, log);
    await rm(file, { force: true });
  }
}

async function stopOrphan(held: LockRecord, log: LocalLog): Promise<void> {
  const { pid, port } = held;
  if (pid === null || port === null || !isDynamoDbLocal(pid, port)) return;
  log.warn(
    `Stopping DynamoDB Local (pid ${pid}, port ${port}${held.dbPath ? `, ${held.dbPath}` : ', in memory'}) ` +
      `left running by a local stack that ended without stopping it (pid ${held.owner}).`,
  );
  signal(pid, 'SIGTERM');
  if (await exits(pid, port, STOP_WAIT_MS)) return;
  signal(pid, 'SIGKILL');
  if (!(await exits(pid, port, 2_000))) throw new Error(`DynamoDB Local (pid ${pid}) does not stop`);
}

async function exits(pid: number, port: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (isDynamoDbLocal(pid, port)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // gone meanwhile
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether `pid` is DynamoDB Local listening on `port` (a zombie or a reused pid is not). */
export function isDynamoDbLocal(pid: number, port: number): boolean {
  const args = commandLine(pid);
  return args.includes('DynamoDBLocal.jar') && args.includes(` -port ${port} `);
}

/** The command line of a process, arguments separated by single spaces and ending in one; '' if none. */
function commandLine(pid: number): string {
  if (existsSync('/proc/self/cmdline')) {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      return '';
    }
  }
  const ps = spawnSync('ps', ['-p', String(pid), '-o', 'command='], { encoding: 'utf8' });
  return ps.status === 0 ? `${ps.stdout.trim()} ` : '';
}

async function youngerThan(file: string, ms: number): Promise<boolean> {
  try {
    return Date.now() - (await stat(file)).mtimeMs < ms;
  } catch {
    return false;
  }
}

async function readRecord(file: string): Promise<LockRecord | null> {
  let parsed: Partial<LockRecord> | null;
  try {
    parsed = (await readJsonFile(file)) as Partial<LockRecord> | null;
  } catch {
    return null; // half written, or not ours: no owner to respect
  }
  if (typeof parsed?.owner !== 'number') return null;
  return {
    owner: parsed.owner,
    pid: typeof parsed.pid === 'number' ? parsed.pid : null,
    port: typeof parsed.port === 'number' ? parsed.port : null,
    dbPath: typeof parsed.dbPath === 'string' ? parsed.dbPath : null,
  };
}

const writeRecord = (file: string, record: LockRecord, flag: 'w' | 'wx'): Promise<void> =>
  writePrivateJson(file, record, flag);
