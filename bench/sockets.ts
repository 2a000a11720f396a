import WebSocket from 'ws';

/** Opens one socket: resolves it once open, or the HTTP status that refused the handshake (0: no answer). */
export function openSocket(url: string): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(0));
  });
}

/**
 * Opens `count` sockets, `batch` at once, each batch after the last has settled (`urls(i)` is the i-th's
 * URL): the open ones, and the statuses of the refused. A burst of connects, as issue 10 measures it.
 */
export async function openInBatches(urls: (i: number) => string, count: number, batch: number) {
  const sockets: WebSocket[] = [];
  const refused: number[] = [];
  for (let i = 0; i < count; i += batch) {
    const results = await Promise.all(
      Array.from({ length: Math.min(batch, count - i) }, (_, j) => openSocket(urls(i + j))),
    );
    for (const r of results) {
      if (typeof r === 'number') refused.push(r);
      else sockets.push(r);
    }
  }
  return { sockets, refused };
}
