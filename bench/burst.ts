/**
 * `npm run bench -- burst`: 1,000 sockets opened in batches of 100 at once into one room of a fresh local
 * stack (DynamoDB Local in memory), the way issue 10 measures a burst of connects; then the stats and the
 * room's presence are checked against what is open. Prints how long the sockets took to open, and the CPU
 * the burst used: this process's (the stack and the sockets' client) and DynamoDB Local's (from /proc,
 * Linux); their sum over the cores is the least the burst could have taken on this machine.
 */
import { availableParallelism, loadavg } from 'node:os';
import type WebSocket from 'ws';
import { startLocalStack } from '../local/index';
import { cpuSince, processCpu } from './process-cpu';
import { openInBatches } from './sockets';

export interface BurstResult {
  sockets: number;
  batch: number;
  warm: boolean;
  opened: number;
  refused: number;
  seconds: number;
  socketsPerS: number;
  statsConnections: number;
  presenceCount: number;
  /** CPU seconds while the sockets opened: this process (the stack, its Lambda workers, the client). */
  cpuS: number;
  /** DynamoDB Local's CPU seconds meanwhile (null: not DynamoDB Local, or no /proc). */
  dynamodbCpuS: number | null;
  /** Both over the machine's cores: the least the sockets could have taken here. */
  cpuFloorS: number | null;
  loadAverage: string;
}

export interface BurstOptions {
  sockets?: number;
  batch?: number;
  /** First 20 sockets in another room, then 2 s of quiet, not measured (issue 10's burst); else none. */
  warm?: boolean;
}

/**
 * Issue 10's burst: batches of 100 after a warm-up. `{ batch: 50, warm: false }` opens them the way the
 * side-by-side fan-out bench (../shared/bench) does: 50 at a time, from the moment the stack is up.
 */
export async function benchBurst({
  sockets = 1_000,
  batch = 100,
  warm = true,
}: BurstOptions = {}): Promise<BurstResult> {
  const stack = await startLocalStack({
    port: 0,
    memory: true,
    logLevel: 'silent',
    env: { LOG_LEVEL: 'SILENT' },
  });
  const opened: WebSocket[] = [];
  try {
    const url = new URL(stack.wsUrl);
    const room = 'room:burst';
    if (warm) {
      // Warm the first requests' paths (not measured), in another room.
      url.searchParams.set('channels', 'room:warm-up');
      const first = await openInBatches(() => url.toString(), 20, 20);
      for (const ws of first.sockets) ws.terminate();
      await new Promise((r) => setTimeout(r, 2_000));
    }

    url.searchParams.set('channels', room);
    const pid = stack.dynamodbPid;
    const dynamoBefore = pid === undefined ? null : processCpu(pid);
    const ownBefore = process.cpuUsage();
    const t0 = performance.now();
    const burst = await openInBatches(() => url.toString(), sockets, batch);
    const own = process.cpuUsage(ownBefore);
    const dynamoAfter = pid === undefined ? null : processCpu(pid);
    opened.push(...burst.sockets);
    const refused = burst.refused.length;
    const seconds = (performance.now() - t0) / 1000;
    const cpu = (own.user + own.system) / 1e6;
    const dynamo = dynamoBefore && dynamoAfter ? cpuSince(dynamoBefore, dynamoAfter).seconds : null;
    // Let the after-connect work finish before reading the totals.
    await new Promise((r) => setTimeout(r, 3_000));
    const stats = (await (await fetch(`${stack.httpUrl}/v1/stats`)).json()) as { connections?: number };
    const presence = (await (
      await fetch(`${stack.httpUrl}/v1/channels/${encodeURIComponent(room)}/presence`)
    ).json()) as { count?: number };
    return {
      sockets,
      batch,
      warm,
      opened: opened.length,
      refused,
      seconds: Number(seconds.toFixed(2)),
      socketsPerS: Math.round(opened.length / seconds),
      statsConnections: stats.connections ?? -1,
      presenceCount: presence.count ?? -1,
      cpuS: Number(cpu.toFixed(2)),
      dynamodbCpuS: dynamo === null ? null : Number(dynamo.toFixed(2)),
      cpuFloorS: dynamo === null ? null : Number(((cpu + dynamo) / availableParallelism()).toFixed(2)),
      loadAverage: loadavg()
        .map((x) => x.toFixed(1))
        .join(' '),
    };
  } finally {
    for (const ws of opened) ws.terminate();
    await stack.stop();
  }
}
