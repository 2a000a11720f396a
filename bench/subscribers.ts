/**
 * Benchmark subscribers in their own process, so their CPU is not the stack's: opens `count` WebSockets to
 * `url`, counts frames whose text contains `marker`, and reports over IPC when `expected` have arrived.
 */
import WebSocket from 'ws';

interface Start {
  url: string;
  count: number;
  marker: string;
  expected: number;
}

process.once('message', async (start: Start) => {
  const sockets: WebSocket[] = [];
  for (let i = 0; i < start.count; i += 50) {
    const batch = Array.from({ length: Math.min(50, start.count - i) }, () => open(start.url));
    sockets.push(...(await Promise.all(batch)));
  }
  let received = 0;
  for (const ws of sockets) {
    ws.on('message', (data) => {
      if (String(data).includes(start.marker) && ++received === start.expected)
        process.send?.({ done: received });
    });
  }
  process.send?.({ ready: sockets.length });
  process.on('message', (m: { report?: boolean }) => {
    if (m.report) process.send?.({ received });
  });
  process.on('disconnect', () => {
    for (const ws of sockets) ws.terminate();
    process.exit(0);
  });
});

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}
