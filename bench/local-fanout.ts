/**
 * End-to-end fan-out through the local stack: SUBSCRIBERS real WebSocket clients on one room, MESSAGES
 * publishes over the HTTP API, each delivered through the handler, DynamoDB Local, the emulated
 * Management API and the sockets. Reports deliveries per second (the Django Channels system this replaces
 * did 6.2k/s at 1,000 subscribers). Everything on loopback; bounded in count and time.
 */

import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { startLocalStack } from '../local/index';

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 20);
const DEADLINE_MS = 120_000;
/** Posts in flight per fan-out (the stack's FANOUT_CONCURRENCY); unset: the stack's default. */
const CONCURRENCY = process.env.BENCH_CONCURRENCY;

export interface FanOutBenchResult {
  subscribers: number;
  messages: number;
  deliveries: number;
  seconds: number;
  deliveriesPerSecond: number;
  /** CPU of the stack's process (handlers, emulator, Management API, both ends of each post) per delivery. */
  stackCpuMicrosPerDelivery: number;
}

export async function benchLocalFanOut(): Promise<FanOutBenchResult> {
  const stack = await startLocalStack({
    port: 0,
    memory: true,
    logLevel: 'silent',
    env: { LOG_LEVEL: 'SILENT', ...(CONCURRENCY ? { FANOUT_CONCURRENCY: CONCURRENCY } : {}) },
  });
  const room = `room:bench-${randomUUID().slice(0, 8)}`;
  const expected = SUBSCRIBERS * MESSAGES;
  const clients = fork(new URL('./subscribers.ts', import.meta.url).pathname, [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const messages: { ready?: number; done?: number; received?: number }[] = [];
  let wake = () => {};
  clients.on('message', (m) => {
    messages.push(m as (typeof messages)[number]);
    wake();
  });
  const until = async (what: (m: (typeof messages)[number]) => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    while (!messages.some(what)) {
      if (Date.now() > deadline)
        throw new Error(`benchmark timed out; subscribers said ${JSON.stringify(messages)}`);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 250);
      });
    }
  };
  try {
    const token = await mint(stack.httpUrl);
    clients.send({
      url: `${stack.wsUrl}?channels=${encodeURIComponent(room)}`,
      count: SUBSCRIBERS,
      marker: '"bench_tick"',
      expected,
    });
    await until((m) => m.ready === SUBSCRIBERS, 60_000);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (let n = 0; n < MESSAGES; n++) {
      const res = await fetch(`${stack.httpUrl}/v1/publish`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ channel: room, type: 'bench_tick', data: { n } }),
      });
      if (res.status !== 202) throw new Error(`publish answered ${res.status}: ${await res.text()}`);
    }
    await until((m) => m.done === expected, DEADLINE_MS);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return {
      subscribers: SUBSCRIBERS,
      messages: MESSAGES,
      deliveries: expected,
      seconds: Math.round(seconds * 100) / 100,
      deliveriesPerSecond: Math.round(expected / seconds),
      stackCpuMicrosPerDelivery: Math.round((cpu.user + cpu.system) / expected),
    };
  } finally {
    clients.kill();
    await stack.stop();
  }
}

/** A token of the local stack's dev issuer that may publish over HTTP. */
export async function mint(httpUrl: string): Promise<string> {
  const res = await fetch(`${httpUrl}/.local/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sub: 'bench', scope: 'realtime:publish' }),
  });
  return ((await res.json()) as { token: string }).token;
}
