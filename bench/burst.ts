/**
 * `npm run bench -- burst`: 1,000 sockets opened in batches of 100 at once into one room of a fresh local
 * stack (DynamoDB Local in memory), the way issue 10 measures a burst of connects; then the stats and the
 * room's presence are checked against what is open. Prints how long the sockets took to open.
 */
import { loadavg } from 'node:os';
import type WebSocket from 'ws';
import { startLocalStack } from '../local/index';
import { openInBatches } from './sockets';

export interface BurstResult {
  sockets: number;
  batch: number;
  opened: number;
  refused: number;
  seconds: number;
  socketsPerS: number;
  statsConnections: number;
  presenceCount: number;
  loadAverage: string;
}

export async function benchBurst(sockets = 1_000, batch = 100): Promise<BurstResult> {
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
    // Warm DynamoDB Local's first requests (not measured), in another room.
    url.searchParams.set('channels', 'room:warm-up');
    const warm = await openInBatches(() => url.toString(), 20, 20);
    for (const ws of warm.sockets) ws.terminate();
    await new Promise((r) => setTimeout(r, 2_000));

    url.searchParams.set('channels', room);
    const t0 = performance.now();
    const burst = await openInBatches(() => url.toString(), sockets, batch);
    opened.push(...burst.sockets);
    const refused = burst.refused.length;
    const seconds = (performance.now() - t0) / 1000;
    // Let the after-connect work finish before reading the totals.
    await new Promise((r) => setTimeout(r, 3_000));
    const stats = (await (await fetch(`${stack.httpUrl}/v1/stats`)).json()) as { connections?: number };
    const presence = (await (
      await fetch(`${stack.httpUrl}/v1/channels/${encodeURIComponent(room)}/presence`)
    ).json()) as { count?: number };
    return {
      sockets,
      batch,
      opened: opened.length,
      refused,
      seconds: Number(seconds.toFixed(2)),
      socketsPerS: Math.round(opened.length / seconds),
      statsConnections: stats.connections ?? -1,
      presenceCount: presence.count ?? -1,
      loadAverage: loadavg()
        .map((x) => x.toFixed(1))
        .join(' '),
    };
  } finally {
    for (const ws of opened) ws.terminate();
    await stack.stop();
  }
}
