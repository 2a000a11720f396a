import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createDynamoClient } from '../../local/dynamodb';
import type { LocalStack } from '../../local/index';
import { api } from './support/http';
import { recorder, startTestStack } from './support/stack';

/**
 * 2,000 sockets closed at once (issue 14: each `$disconnect` used to time out, all 2,000 started at
 * once against one DynamoDB Local). The stack runs handlers with Lambda's concurrency semantics: at most
 * `lambdaConcurrency` at a time, the others wait, and a timeout counts from when an invocation starts.
 * Its own DynamoDB Local (and so its own table): the stats and the records left are this test's alone,
 * and the load does not slow the other tests' stack.
 */
const SOCKETS = 2_000;
/** Every tenth socket has a token: 10 users with 20 connections each; the others are anonymous. */
const USERS = 10;
const CHANNELS = 20;
/**
 * Connections opened at once while building up (the build-up is not what is measured): a few at first,
 * while this test's own DynamoDB Local is still cold (its first requests are many times slower).
 */
const opening = (opened: number) => (opened < 64 ? 4 : 16);

let stack: LocalStack;
const calls = recorder();
let dynamo: DynamoDBClient;

beforeAll(async () => {
  stack = await startTestStack({ dynamodbEndpoint: undefined, observe: calls.observe });
  dynamo = createDynamoClient(stack.dynamodbEndpoint, 'us-east-1');
});
afterAll(async () => {
  dynamo?.destroy();
  await stack?.stop();
});

/** Items of the table whose key starts with one of these prefixes. */
async function itemsStartingWith(prefixes: string[]): Promise<string[]> {
  const found: string[] = [];
  let startKey: Record<string, never> | undefined;
  do {
    const page = await dynamo.send(
      new ScanCommand({ TableName: stack.tableName, ExclusiveStartKey: startKey }),
    );
    for (const item of page.Items ?? []) {
      const key = `${item.pk?.S}/${item.sk?.S}`;
      if (prefixes.some((p) => key.startsWith(p))) found.push(key);
    }
    startKey = page.LastEvaluatedKey as typeof startKey;
  } while (startKey);
  return found;
}

describe('closing 2,000 sockets at once', () => {
  it('runs every $disconnect within its timeout and leaves no record', { timeout: 900_000 }, async () => {
    const tokens = await Promise.all(
      Array.from({ length: USERS }, (_, i) => stack.issuer.mint({ sub: `mass-${i}` })),
    );
    const sockets: WebSocket[] = [];
    while (sockets.length < SOCKETS) {
      const i = sockets.length;
      const batch = Array.from({ length: Math.min(opening(i), SOCKETS - i) }, (_, j) => i + j);
      sockets.push(
        ...(await Promise.all(
          batch.map(
            (k) =>
              new Promise<WebSocket>((resolve, reject) => {
                const auth = k % 10 === 0 ? `token=${tokens[(k / 10) % USERS]}&` : '';
                const url = `${stack.wsUrl}?${auth}channels=device:mass-${k % CHANNELS}`;
                const ws = new WebSocket(url);
                ws.once('open', () => resolve(ws));
                ws.once('error', reject);
              }),
          ),
        )),
      );
    }
    expect((await api(stack.httpUrl, 'GET', '/v1/stats')).body).toMatchObject({
      connections: SOCKETS,
      users: USERS,
      channels: CHANNELS + USERS,
    });

    const t0 = Date.now();
    for (const ws of sockets) ws.terminate();
    const disconnects = () => calls.of('ws-disconnect');
    while (disconnects().length < SOCKETS && Date.now() - t0 < 600_000) {
      await new Promise((r) => setTimeout(r, 250));
    }
    const seconds = (Date.now() - t0) / 1000;
    const failures = disconnects().filter((i) => i.error !== undefined);
    console.log(
      `mass close: ${disconnects().length} $disconnect in ${seconds.toFixed(1)} s, ${failures.length} failed ` +
        `(${failures.filter((i) => String(i.error).includes('timed out')).length} timeouts)`,
    );
    expect(disconnects()).toHaveLength(SOCKETS);
    expect(failures.map((i) => String(i.error))).toEqual([]);
    expect(await itemsStartingWith(['conn#', 'user#', 'chan#'])).toEqual([]);
    expect((await api(stack.httpUrl, 'GET', '/v1/stats')).body).toMatchObject({
      connections: 0,
      users: 0,
      channels: 0,
    });
  });
});
