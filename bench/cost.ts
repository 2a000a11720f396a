/**
 * `npm run bench -- cost`: what one operation costs, counted on the local stack and priced with AWS's
 * published prices.
 *
 * The stack runs in this process (DynamoDB Local in memory); every DynamoDB request the handlers make is
 * counted, with the capacity DynamoDB reports for it (`ReturnConsumedCapacity: TOTAL`, added to every
 * request here), every Lambda invocation with its duration, and every API Gateway message (a frame in,
 * a frame out). Each operation is run several times after a warm-up, with the stack quiet before and
 * after, so that what it sets off later (the after-connect Lambda, a fan-out) is counted with it.
 *
 * Lambda durations are this machine's, not AWS's: the dollar figures take them as they are (billed per
 * millisecond, at the function's memory size from shared/app/routes.ts, arm64 as the stack deploys).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import WebSocket from 'ws';
import { type LocalStack, startLocalStack } from '../local/index';
import { DocumentClient } from '../shared/adapters/dynamo/document-client';
import { type LambdaName, lambdas } from '../shared/app/routes';

/** Published prices, us-east-1, as of 2026-12 (the pages they come from are linked). */
export const PRICES = {
  /** https://aws.amazon.com/dynamodb/pricing/on-demand/ (after the November 2024 cut). */
  dynamoWriteRequestUnit: 0.625 / 1e6,
  dynamoReadRequestUnit: 0.125 / 1e6,
  /** https://aws.amazon.com/lambda/pricing/ (Arm). */
  lambdaRequest: 0.2 / 1e6,
  lambdaGbSecondArm: 0.0000133334,
  /** https://aws.amazon.com/api-gateway/pricing/ (WebSocket APIs, first billion; messages in 32 KB units). */
  apiGatewayMessage: 1.0 / 1e6,
  apiGatewayConnectionMinute: 0.25 / 1e6,
  /** https://aws.amazon.com/api-gateway/pricing/ (HTTP APIs, first 300 million; 512 KB units). */
  httpApiRequest: 1.0 / 1e6,
  /** https://aws.amazon.com/appsync/pricing/ (AppSync Events: every publish, delivery and subscribe is an operation). */
  appSyncEventsOperation: 1.0 / 1e6,
  appSyncEventsConnectionMinute: 0.08 / 1e6,
} as const;

/** What one operation used, on average over its runs. */
export interface OperationCost {
  operation: string;
  runs: number;
  ddbRequests: number;
  readUnits: number;
  writeUnits: number;
  lambdaInvocations: number;
  lambdaMs: number;
  lambdaGbSeconds: number;
  apiGatewayMessages: number;
  httpRequests: number;
  /** DynamoDB requests by command, per run (e.g. "PutItem 2, Query 1"). */
  requests: string;
  /** Dollars per run, by service. */
  dollars: number;
}

interface Tally {
  requests: Map<string, number>;
  read: number;
  write: number;
  invocations: number;
  lambdaMs: number;
  gbSeconds: number;
}

/** The reads, by the names of the client's commands and of the document client's (GetCommand is a read too). */
const READS = new Set([
  'GetItemCommand',
  'GetCommand',
  'QueryCommand',
  'ScanCommand',
  'BatchGetItemCommand',
  'BatchGetCommand',
  'TransactGetItemsCommand',
  'TransactGetCommand',
]);

/**
 * Counts every DynamoDB request made in this process, with the capacity DynamoDB reports for it: the
 * handlers' (our document client, shared/adapters/dynamo/document-client.ts, whose commands have
 * lib-dynamodb's names) and the local stack's own (the SDK's clients: table set-up, the TTL sweeper).
 */
class DynamoCounter {
  tally: Tally = emptyTally();
  inflight = 0;
  lastActivity = Date.now();

  install(): () => void {
    const restore: (() => void)[] = [];
    for (const cls of [DocumentClient, DynamoDBClient, DynamoDBDocumentClient] as const) {
      const proto = cls.prototype as unknown as { send: (...a: unknown[]) => Promise<unknown> };
      const original = proto.send;
      const counter = this;
      proto.send = async function (this: unknown, command: unknown, ...rest: unknown[]) {
        const cmd = command as { input: Record<string, unknown>; constructor: { name: string } };
        const name = cmd.constructor.name.replace(/^__/, '');
        if (name !== 'DescribeTableCommand' && name !== 'CreateTableCommand' && name !== 'ListTablesCommand')
          cmd.input.ReturnConsumedCapacity ??= 'TOTAL';
        counter.inflight++;
        counter.lastActivity = Date.now();
        const t = counter.tally;
        t.requests.set(name, (t.requests.get(name) ?? 0) + 1);
        try {
          const out = (await original.call(this, command, ...rest)) as { ConsumedCapacity?: unknown };
          counter.add(name, out?.ConsumedCapacity);
          return out;
        } catch (error) {
          // A write refused by its condition is billed too: the minimum of a write (below).
          if ((error as { name?: string }).name === 'ConditionalCheckFailedException')
            counter.add(name, undefined);
          throw error;
        } finally {
          counter.inflight--;
          counter.lastActivity = Date.now();
        }
      };
      restore.push(() => {
        proto.send = original;
      });
    }
    return () => {
      for (const r of restore) r();
    };
  }

  private add(command: string, consumed: unknown): void {
    const list = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) as {
      CapacityUnits?: number;
      ReadCapacityUnits?: number;
      WriteCapacityUnits?: number;
    }[];
    let units = 0;
    let read = 0;
    let write = 0;
    for (const c of list) {
      units += c.CapacityUnits ?? 0;
      read += c.ReadCapacityUnits ?? 0;
      write += c.WriteCapacityUnits ?? 0;
    }
    if (read + write === 0) {
      if (READS.has(command)) read = units;
      else write = units;
    }
    // AWS bills every request at least half a read unit (eventually consistent) or one write unit; DynamoDB
    // Local reports 0 for a read that finds nothing.
    if (READS.has(command)) read = Math.max(read, 0.5);
    else write = Math.max(write, 1);
    this.tally.read += read;
    this.tally.write += write;
  }
}

const emptyTally = (): Tally => ({
  requests: new Map(),
  read: 0,
  write: 0,
  invocations: 0,
  lambdaMs: 0,
  gbSeconds: 0,
});

function open(url: string, inbox?: string[]): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('message', (data) => inbox?.push(String(data)));
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function closed(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) return resolve();
    ws.once('close', () => resolve());
    ws.close();
  });
}

/** Sends a frame and waits for the answer that refers to it. */
function request(ws: WebSocket, frame: Record<string, unknown>): Promise<Record<string, unknown>> {
  const ref = `r${Math.random().toString(36).slice(2)}`;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer to ${JSON.stringify(frame)}`)), 10_000);
    const onMessage = (data: WebSocket.RawData) => {
      const f = JSON.parse(String(data)) as Record<string, unknown>;
      const answers =
        f.ref === ref ||
        (f.type === 'ack' && f.id === ref) ||
        (f.type === 'subscribed' && frame.type === 'subscribe' && f.channel === frame.channel);
      if (!answers) return;
      clearTimeout(timer);
      ws.off('message', onMessage);
      if (f.type === 'error') reject(new Error(`refused: ${JSON.stringify(f)}`));
      else resolve(f);
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify(frame.type === 'subscribe' ? frame : { ...frame, id: ref }));
  });
}

/**
 * Runs the operations on a fresh local stack and returns what each costs. `subscribers` are the k of
 * "a room publish to k subscribers".
 */
export async function benchCost(options: { runs?: number; subscribers?: readonly number[] } = {}) {
  const runs = options.runs ?? 5;
  const ks = options.subscribers ?? [1, 10, 100];
  const counter = new DynamoCounter();
  const uninstall = counter.install();
  const starts = new WeakMap<object, number>();
  const stack: LocalStack = await startLocalStack({
    port: 0,
    memory: true,
    // The handlers in this thread: the counter above patches the SDK's clients here, which a worker
    // thread's own copy of the SDK would not see (every request would go uncounted).
    lambdaWorkers: 0,
    logLevel: 'silent',
    env: { LOG_LEVEL: 'SILENT', RATE_LIMIT_PER_MINUTE: '1000000' },
    observe: {
      before: (_lambda, event) => {
        starts.set(event as object, performance.now());
      },
      after: (lambda: LambdaName, event) => {
        const began = starts.get(event as object);
        const ms = began === undefined ? 0 : performance.now() - began;
        const t = counter.tally;
        t.invocations++;
        t.lambdaMs += ms;
        // Billed per millisecond, at least 1 ms.
        t.gbSeconds += (Math.max(1, Math.ceil(ms)) / 1000) * (lambdas[lambda].memoryMb / 1024);
        counter.lastActivity = Date.now();
      },
    },
  });
  let messages = 0; // API Gateway messages: frames in and out
  let httpRequests = 0;

  const quiet = async () => {
    // Nothing in flight and nothing new for 300 ms: whatever an operation set off has finished.
    for (;;) {
      await new Promise((r) => setTimeout(r, 50));
      if (counter.inflight === 0 && Date.now() - counter.lastActivity > 300) return;
    }
  };
  const results: OperationCost[] = [];
  const measure = async (operation: string, once: () => Promise<{ messages: number; http?: number }>) => {
    await once(); // warm-up: the first run pays for cold clients and the key set
    await quiet();
    counter.tally = emptyTally();
    messages = 0;
    httpRequests = 0;
    for (let i = 0; i < runs; i++) {
      const used = await once();
      messages += used.messages;
      httpRequests += used.http ?? 0;
      await quiet();
    }
    const t = counter.tally;
    const per = (n: number) => n / runs;
    const ddbRequests = [...t.requests.values()].reduce((a, b) => a + b, 0);
    const cost =
      per(t.write) * PRICES.dynamoWriteRequestUnit +
      per(t.read) * PRICES.dynamoReadRequestUnit +
      per(t.invocations) * PRICES.lambdaRequest +
      per(t.gbSeconds) * PRICES.lambdaGbSecondArm +
      per(messages) * PRICES.apiGatewayMessage +
      per(httpRequests) * PRICES.httpApiRequest;
    results.push({
      operation,
      runs,
      ddbRequests: round(per(ddbRequests)),
      readUnits: round(per(t.read)),
      writeUnits: round(per(t.write)),
      lambdaInvocations: round(per(t.invocations)),
      lambdaMs: round(per(t.lambdaMs)),
      lambdaGbSeconds: round(per(t.gbSeconds), 5),
      apiGatewayMessages: round(per(messages)),
      httpRequests: round(per(httpRequests)),
      requests: [...t.requests]
        .sort((a, b) => b[1] - a[1])
        .map(([name, n]) => `${name.replace(/Command$/, '')} ${round(n / runs)}`)
        .join(', '),
      dollars: cost,
    });
  };

  try {
    const user = await stack.issuer.mint({ sub: 'cost-user', name: 'Cost' });
    const service = await stack.issuer.mint({
      sub: 'cost-service',
      scope: 'realtime:publish realtime:admin',
    });
    const wsUrl = (channels: string[], token = user) => {
      const url = new URL(stack.wsUrl);
      url.searchParams.set('token', token);
      if (channels.length) url.searchParams.set('channels', channels.join(','));
      return url.toString();
    };
    const http = async (method: string, path: string, body?: unknown, bearer = service) => {
      const res = await fetch(`${stack.httpUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return res.json() as Promise<Record<string, unknown>>;
    };
    let n = 0;
    const room = () => `room:cost-${n++}`;

    // Connect and disconnect, with 0, 1 and 3 channels; the messages are the handshake's none.
    for (const count of [0, 1, 3]) {
      const sockets: WebSocket[] = [];
      await measure(`connect (${count} channel${count === 1 ? '' : 's'})`, async () => {
        const channels = Array.from({ length: count }, room);
        sockets.push(await open(wsUrl(channels)));
        return { messages: 0 };
      });
      if (count === 1) {
        await measure('disconnect (1 channel)', async () => {
          const ws = sockets.pop() ?? (await open(wsUrl([room()])));
          await closed(ws);
          return { messages: 0 };
        });
      }
      await Promise.all(sockets.map(closed));
    }

    const subscriber = await open(wsUrl([]));
    await measure('subscribe', async () => {
      await request(subscriber, { type: 'subscribe', channel: room() });
      return { messages: 2 }; // the frame and its answer
    });
    await closed(subscriber);

    // A room publish to k subscribers, over WebSocket: the frame, its ack, and k deliveries (messages of
    // up to 32 KB are one API Gateway message each).
    for (const k of ks) {
      const target = room();
      const inboxes: string[][] = [];
      const subs: WebSocket[] = [];
      // The publisher is one of the k (a publisher must be subscribed, and gets its own publication).
      for (let i = 0; i < k - 1; i += 50) {
        const batch = Array.from({ length: Math.min(50, k - 1 - i) }, async (_, j) => {
          const inbox: string[] = [];
          inboxes.push(inbox);
          const token = await stack.issuer.mint({ sub: `cost-sub-${i + j}`, name: 'Subscriber' });
          return open(wsUrl([target], token), inbox);
        });
        subs.push(...(await Promise.all(batch)));
      }
      const own: string[] = [];
      inboxes.push(own);
      const publisher = await open(wsUrl([target]), own);
      await quiet();
      await measure(`room publish to ${k} subscriber${k === 1 ? '' : 's'}`, async () => {
        const before = inboxes.reduce((a, b) => a + b.length, 0);
        await request(publisher, { type: 'publish', channel: target, data: { text: 'x'.repeat(100) } });
        const deadline = Date.now() + 10_000;
        while (inboxes.reduce((a, b) => a + b.length, 0) < before + k && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 5));
        return { messages: 2 + k };
      });
      await Promise.all([...subs, publisher].map(closed));
    }

    // A chat message over WebSocket to a chat of two (both connected): frame, ack, one delivery each.
    const chat = await http('POST', '/v1/chats', { participants: ['cost-peer'] }, user);
    const chatChannel = `chat:${String(chat.id)}`;
    const peerToken = await stack.issuer.mint({ sub: 'cost-peer', name: 'Peer' });
    const peerUrl = new URL(stack.wsUrl);
    peerUrl.searchParams.set('token', peerToken);
    peerUrl.searchParams.set('channels', chatChannel);
    const peer = await open(peerUrl.toString(), []);
    const author = await open(wsUrl([chatChannel]), []);
    await quiet();
    await measure('chat message (2 participants)', async () => {
      await request(author, { type: 'message', channel: chatChannel, content: 'hello' });
      return { messages: 4 };
    });
    await Promise.all([peer, author].map(closed));

    // A sensor reading over HTTP, to one dashboard watching its device.
    await http('PUT', '/v1/devices/cost-dev', { name: 'Cost device' });
    await http('PUT', '/v1/sensors/cost-sen', {
      device_id: 'cost-dev',
      sensor_type: 'temperature',
      unit: 'celsius',
    });
    const dashboard = await open(wsUrl(['device:cost-dev']), []);
    await quiet();
    let value = 0;
    await measure('sensor reading (POST, 1 watcher)', async () => {
      await http('POST', '/v1/sensor-data', { readings: [{ sensor_id: 'cost-sen', value: value++ }] });
      return { messages: 1, http: 1 };
    });
    await closed(dashboard);
  } finally {
    await stack.stop();
    uninstall();
  }
  return results;
}

const round = (x: number, digits = 2) => Number(x.toFixed(digits));

/** The model: dollars per million messages and per million connection-minutes, beside API Gateway's and AppSync Events' own. */
export function costModel(
  results: readonly OperationCost[],
  options: { fanOut?: number; connectionMinutes?: number } = {},
) {
  const k = options.fanOut ?? 10;
  const lifetime = options.connectionMinutes ?? 60;
  const find = (prefix: string) => {
    const r = results.find((x) => x.operation.startsWith(prefix));
    if (!r) throw new Error(`no result for ${prefix}`);
    return r;
  };
  const publish = find(`room publish to ${k} `);
  const connect = find('connect (1 channel)');
  const disconnect = find('disconnect');
  // Our cost of a connection's minute: API Gateway's connection minute, and its connect and disconnect spread
  // over its minutes; a ping every 5 minutes keeps it past the 10-minute idle timeout (frame and pong).
  const perConnectionMinute =
    PRICES.apiGatewayConnectionMinute +
    (connect.dollars + disconnect.dollars) / lifetime +
    (2 * PRICES.apiGatewayMessage) / 5;
  const rows = [
    {
      model: `Switchboard (measured): publish to ${k}`,
      perMillionMessages: round(publish.dollars * 1e6),
      perMillionConnectionMinutes: round(perConnectionMinute * 1e6),
    },
    {
      model: `API Gateway WebSocket alone: 1 in + ${k} out`,
      perMillionMessages: round((1 + k) * PRICES.apiGatewayMessage * 1e6),
      perMillionConnectionMinutes: round(PRICES.apiGatewayConnectionMinute * 1e6),
    },
    {
      model: `AppSync Events: 1 publish + ${k} deliveries`,
      perMillionMessages: round((1 + k) * PRICES.appSyncEventsOperation * 1e6),
      perMillionConnectionMinutes: round(PRICES.appSyncEventsConnectionMinute * 1e6),
    },
  ];
  return { fanOut: k, connectionMinutes: lifetime, rows };
}
