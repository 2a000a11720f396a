/**
 * `npm run bench -- scale`: one publish to a channel of N subscribers (100,000 by default) through the
 * real path — the HTTP handler of POST /v1/publish, the fan-out queue (the local stack's SQS emulation),
 * the fan-out workers — to a stub Management API in its own process, which answers after a latency
 * (30 ms) and refuses with 429 past the account's quota (10,000 a second). The subscribers are records
 * written straight into DynamoDB Local (no sockets). Everything on loopback; bounded in count and time.
 *
 *   npm run bench -- scale [--subscribers N] [--quota R] [--latency-ms L]
 *
 * Prints a table and, as its very last line, one JSON object (ScaleResult).
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { startLocalStack } from '../local/index';
import { createDocumentClient } from '../shared/adapters/dynamo/client';
import { DEFAULTS } from '../shared/app/defaults';
import { loadAverage, machine } from './lambdas';
import { mint } from './local-fanout';
import { type StubStats, startStub } from './stub';
import { connectionIds, writeSubscribers } from './subscribers-table';

export interface ScaleOptions {
  subscribers: number;
  quota: number;
  latencyMs: number;
  /** The local stack's handler threads (`--lambda-workers`); every core when absent. */
  lambdaWorkers?: number;
}

/** The last line of the bench, exactly these keys. */
export interface ScaleResult {
  subscribers: number;
  /** Connections the stub answered 200 at least once. */
  delivered: number;
  /** Subscribers that never got it. */
  lost: number;
  /** 200s beyond the first per connection. */
  duplicates: number;
  /** From the publish request to the last delivery. */
  seconds: number;
  deliveriesPerS: number;
  quotaPerS: number;
  quotaUsedPct: number;
  /** Posts the stub refused 429. */
  throttled: number;
  /** CPU of this process (HTTP handler, SQS emulation, workers, their SDK clients) per delivery. */
  cpuMicrosPerDelivery: number;
}

export const SCALE_DEFAULTS: ScaleOptions = { subscribers: 100_000, quota: 10_000, latencyMs: 30 };

/** After the last delivery, how long the queue may stay busy before the run is called done anyway. */
const SETTLE_MS = 60_000;

export function parseScaleArgs(argv: readonly string[]): ScaleOptions {
  const options = { ...SCALE_DEFAULTS };
  const flags: Record<string, keyof ScaleOptions> = {
    '--subscribers': 'subscribers',
    '--quota': 'quota',
    '--latency-ms': 'latencyMs',
    '--lambda-workers': 'lambdaWorkers',
  };
  for (let i = 0; i < argv.length; i++) {
    const key = flags[argv[i]!];
    const value = Number(argv[i + 1]);
    if (
      !key ||
      !Number.isInteger(value) ||
      value < (key === 'latencyMs' || key === 'lambdaWorkers' ? 0 : 1)
    ) {
      throw new Error(
        `usage: npm run bench -- scale [--subscribers N] [--quota R] [--latency-ms L] [--lambda-workers W]; got ${argv.join(' ')}`,
      );
    }
    options[key] = value;
    i++;
  }
  return options;
}

export interface ScaleRun {
  result: ScaleResult;
  /** What the queue and the stub saw, for the table. */
  detail: Record<string, number | string>;
}

export async function benchScale(options: ScaleOptions): Promise<ScaleRun> {
  const { subscribers, quota, latencyMs } = options;
  const stub = await startStub({ latencyMs, quota });
  const stack = await startLocalStack({
    port: 0,
    memory: true,
    logLevel: 'silent',
    // Every core for the handlers: the emulator's own thread has next to nothing to do here (no socket;
    // the stub Management API is a process of its own), and in AWS each fan-out worker is a Lambda with a
    // CPU of its own. The stack's default keeps a core for the emulator (cores − 1).
    lambdaWorkers: options.lambdaWorkers ?? availableParallelism(),
    env: {
      LOG_LEVEL: 'SILENT',
      WS_CALLBACK_URL: `http://127.0.0.1:${stub.port}/local`,
      MANAGEMENT_API_QUOTA: String(quota),
    },
  });
  const channel = `room:scale-${randomUUID().slice(0, 8)}`;
  const db = createDocumentClient({ region: 'us-east-1', endpoint: stack.dynamodbEndpoint });
  try {
    const setup = performance.now();
    await writeSubscribers(db, stack.tableName, channel, connectionIds(subscribers));
    const setupSeconds = (performance.now() - setup) / 1000;
    const token = await mint(stack.httpUrl);
    const deadline = Date.now() + Math.max(120_000, (subscribers / quota) * 10_000);

    const cpu0 = process.cpuUsage();
    const t0 = Date.now();
    const res = await fetch(`${stack.httpUrl}/v1/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel, type: 'scale_tick', data: { at: t0 } }),
    });
    const answeredMs = Date.now() - t0;
    const answer = (await res.json()) as Record<string, unknown>;
    if (res.status !== 202 || answer.status !== 'queued') {
      throw new Error(`publish answered ${res.status} ${JSON.stringify(answer)}`);
    }

    // Done when every subscriber has it, or the queue has nothing left to do (what is missing is lost).
    const fanOut = stack.queues.get('fan-out')!;
    let stats: StubStats = await stub.stats();
    let settledSince: number | undefined;
    while (stats.unique < subscribers && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      stats = await stub.stats();
      const idle = fanOut.queue.size === 0;
      settledSince = idle ? (settledSince ?? Date.now()) : undefined;
      if (settledSince !== undefined && Date.now() - settledSince > 2_000) break;
    }
    const cpu = process.cpuUsage(cpu0);
    // Let continuations and repeats still on their way arrive, so that duplicates are counted too.
    let settle: NodeJS.Timeout | undefined;
    await Promise.race([
      fanOut.eventSource.idle(),
      new Promise((r) => {
        settle = setTimeout(r, SETTLE_MS);
      }),
    ]);
    clearTimeout(settle);
    stats = await stub.stats();

    const seconds = ((stats.lastAt ?? Date.now()) - t0) / 1000;
    const deliveriesPerS = stats.unique / seconds;
    const result: ScaleResult = {
      subscribers,
      delivered: stats.unique,
      lost: subscribers - stats.unique,
      duplicates: stats.delivered - stats.unique,
      seconds: round(seconds, 2),
      deliveriesPerS: Math.round(deliveriesPerS),
      quotaPerS: quota,
      quotaUsedPct: round((deliveriesPerS / quota) * 100, 1),
      throttled: stats.throttled,
      cpuMicrosPerDelivery: stats.unique > 0 ? Math.round((cpu.user + cpu.system) / stats.unique) : 0,
    };
    const q = fanOut.queue.stats;
    return {
      result,
      detail: {
        'setup: subscribers written (s)': round(setupSeconds, 1),
        'publish answered (ms)': answeredMs,
        'first delivery after (ms)': stats.firstAt === null ? 'none' : stats.firstAt - t0,
        'queue messages sent': q.sent,
        'queue receives': q.received,
        'queue redeliveries': q.redelivered,
        'dead-lettered': q.deadLettered,
        'worker invocations failed': fanOut.eventSource.failedInvocations,
        'workers (max concurrency)': Number(stack.env.FANOUT_WORKERS ?? DEFAULTS.FANOUT_WORKERS),
        'stub latency (ms)': latencyMs,
      },
    };
  } finally {
    db.destroy();
    await stack.stop();
    stub.stop();
  }
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The bench's report: the machine, the run's details and the result, then the JSON line. */
export async function runScaleBench(argv: readonly string[]): Promise<void> {
  const options = parseScaleArgs(argv);
  console.log(
    `\nOne publish to ${options.subscribers} subscribers: HTTP handler → fan-out queue → workers → stub Management API ` +
      `(${options.latencyMs} ms, ${options.quota}/s)\n`,
  );
  console.log(`Machine: ${machine()}; load average ${loadAverage()} at the start`);
  const { result, detail } = await benchScale(options);
  console.log(`Load average ${loadAverage()} at the end\n`);
  console.table([detail]);
  console.table([result]);
  const targets = [
    `lost 0: ${result.lost === 0 ? 'ok' : 'FAIL'}`,
    `quotaUsedPct ≥ 85: ${result.quotaUsedPct >= 85 ? 'ok' : 'FAIL'}`,
    `duplicates ≤ 0.1 % of subscribers: ${result.duplicates <= result.subscribers / 1000 ? 'ok' : 'FAIL'}`,
  ];
  console.log(`Targets (issue 10): ${targets.join('; ')}`);
  console.log(JSON.stringify(result));
}
