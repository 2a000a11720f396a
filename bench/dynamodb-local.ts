/**
 * `npm run bench -- dynamodb`: what DynamoDB Local itself spends on a connect into a room, in CPU.
 *
 * DynamoDB Local is started in memory the way the stack starts it, and the store a `$connect` uses
 * (DynamoConnectionStore.put, the same requests over the same pipelined client) connects anonymous
 * connections into one room of 8 shards, 16 at once, in rounds of 1,000. Its JVM's CPU is read from /proc
 * before and after each round (Linux only): all its threads, and apart the one thread that runs every
 * SQLite statement, which no number of cores can share. Twice: with the stack's JVM options (the C1
 * compiler alone, local/dynamodb.ts) and with Java's defaults (C1, then C2 for what is hot).
 *
 * This is the floor under `npm run bench -- burst` and the fan-out bench's 1,000 sockets: whatever the
 * stack does, 1,000 connects cost DynamoDB Local this much CPU (docs/performance.md).
 */
import { availableParallelism } from 'node:os';
import {
  createDynamoClient,
  DYNAMODB_LOCAL_JVM_OPTIONS,
  ensureTable,
  startDynamoDb,
} from '../local/dynamodb';
import { awsStyleId } from '../local/ids';
import { DYNAMODB_PIPELINE } from '../local/index';
import { createLog } from '../local/log';
import { createDocumentClient } from '../shared/adapters/dynamo/client';
import { DynamoConnectionStore } from '../shared/adapters/dynamo/connection-store';
import type { DocumentClient } from '../shared/adapters/dynamo/document-client';
import { ANONYMOUS } from '../shared/core/auth/principal';
import { DEFAULT_SUBSCRIBER_SHARDS } from '../shared/core/channels';
import { systemClock } from '../shared/core/ports';
import { cpuSince, processCpu } from './process-cpu';

export interface DynamoLocalRound {
  jvm: string;
  round: number;
  connects: number;
  /** DynamoDB requests a connect made (the store's own, counted as sent). */
  requestsPerConnect: number;
  seconds: number;
  /** DynamoDB Local's CPU per connect, all threads. */
  cpuMsPerConnect: number;
  /** Of which its SQLite thread's (serial: one thread runs every statement). */
  sqliteMsPerConnect: number;
  /** This process's CPU per connect: the store and its client, nothing else. */
  clientMsPerConnect: number;
}

const ROUNDS = 5;
const CONNECTS = 1_000;
const AT_ONCE = 16;
const ROOM = 'room:bench';
const TABLE = 'bench-dynamodb-local';
const DEADLINE_MS = 240_000;

export const JVM_CONFIGURATIONS = [
  { jvm: "the stack's (C1 only)", options: DYNAMODB_LOCAL_JVM_OPTIONS },
  { jvm: "Java's defaults (C1, C2)", options: [] },
] as const;

/** The rounds, or null where DynamoDB Local cannot run (no Java 17+: the stack would use dynalite). */
export async function benchDynamoDbLocal(): Promise<DynamoLocalRound[] | null> {
  const rows: DynamoLocalRound[] = [];
  const deadline = Date.now() + DEADLINE_MS;
  const log = createLog('silent');
  for (const { jvm, options } of JVM_CONFIGURATIONS) {
    const db = await startDynamoDb({ memory: true, dataDir: '.', log, jvmOptions: options });
    try {
      if (db.engine !== 'dynamodb-local' || db.pid === undefined) return null;
      const pid = db.pid;
      const admin = createDynamoClient(db.endpoint, 'us-east-1');
      await ensureTable(admin, TABLE);
      admin.destroy();
      let sent = 0;
      const client = createDocumentClient({
        region: 'us-east-1',
        endpoint: db.endpoint,
        pipeline: DYNAMODB_PIPELINE,
      });
      const counting = {
        send: (command: Parameters<DocumentClient['send']>[0]) => {
          sent++;
          return client.send(command);
        },
      } as DocumentClient;
      const store = new DynamoConnectionStore(counting, TABLE, systemClock, () => DEFAULT_SUBSCRIBER_SHARDS);
      for (let round = 1; round <= ROUNDS; round++) {
        if (Date.now() > deadline) throw new Error(`the bench ran past ${DEADLINE_MS / 1000} s`);
        const before = processCpu(pid);
        if (!before) throw new Error('this part reads CPU from /proc (Linux)');
        const sentBefore = sent;
        const ownBefore = process.cpuUsage();
        const t0 = performance.now();
        let next = 0;
        await Promise.all(
          Array.from({ length: AT_ONCE }, async () => {
            while (next < CONNECTS) {
              next++;
              const now = Date.now();
              await store.put(
                {
                  connectionId: awsStyleId(),
                  principal: ANONYMOUS,
                  channels: [ROOM],
                  connectedAt: now,
                  expiresAt: Math.floor(now / 1000) + 7_200,
                },
                { count: [ROOM] },
              );
            }
          }),
        );
        const seconds = (performance.now() - t0) / 1000;
        const own = process.cpuUsage(ownBefore);
        const after = processCpu(pid);
        if (!after) throw new Error('DynamoDB Local ended during the bench');
        const used = cpuSince(before, after);
        const sqlite = [...used.byThread].filter(([name]) => name.startsWith('SQLite'));
        rows.push({
          jvm,
          round,
          connects: CONNECTS,
          requestsPerConnect: (sent - sentBefore) / CONNECTS,
          seconds: Number(seconds.toFixed(2)),
          cpuMsPerConnect: Number(((used.seconds / CONNECTS) * 1000).toFixed(2)),
          sqliteMsPerConnect: Number(((sqlite.reduce((t, [, s]) => t + s, 0) / CONNECTS) * 1000).toFixed(2)),
          clientMsPerConnect: Number(((own.user + own.system) / 1000 / CONNECTS).toFixed(2)),
        });
      }
    } finally {
      await db.stop();
    }
  }
  return rows;
}

/** What the rounds say of 1,000 connects on this machine, whatever the stack does besides. */
export function dynamoDbLocalFloor(rows: readonly DynamoLocalRound[]): string {
  const stack = rows.filter((r) => r.jvm === JVM_CONFIGURATIONS[0].jvm);
  const last = stack.at(-1);
  if (!last) return '';
  const cores = availableParallelism();
  const ms = (f: (r: DynamoLocalRound) => number) => stack.slice(1).map(f).join(', ');
  return [
    `A connect into a room: ${last.requestsPerConnect} DynamoDB requests. With the stack's JVM options, rounds 2-${stack.length}:`,
    `  DynamoDB Local's CPU per connect ${ms((r) => r.cpuMsPerConnect)} ms (its SQLite thread ${ms((r) => r.sqliteMsPerConnect)} ms);`,
    `  the store and its client ${ms((r) => r.clientMsPerConnect)} ms;`,
    `  1,000 connects took ${ms((r) => r.seconds)} s on ${cores} cores with nothing else running: no handshake, no Lambda, no presence.`,
  ].join('\n');
}
