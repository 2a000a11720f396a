/**
 * `npm run bench -- burst`: 1,000 sockets opened in batches of 100 at once into one room of a fresh local
 * stack (DynamoDB Local in memory), the way issue 10 measures a burst of connects; then the stats and the
 * room's presence are checked against what is open. Prints how long the sockets took to open.
 */
import { loadavg } from 'node:os';
import WebSocket from 'ws';
import { startLocalStack } from '../local/index';

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

function open(url: string): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(0));
  });
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
    const warm = await Promise.all(Array.from({ length: 20 }, () => open(url.toString())));
    for (const ws of warm) if (typeof ws !== 'number') ws.terminate();
    await new Promise((r) => setTimeout(r, 2_000));

    url.searchParams.set('channels', room);
    let refused = 0;
    const t0 = performance.now();
    for (let i = 0; i < sockets; i += batch) {
      const results = await Promise.all(
        Array.from({ length: Math.min(batch, sockets - i) }, () => open(url.toString())),
      );
      for (const r of results) typeof r === 'number' ? refused++ : opened.push(r);
    }
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
