/**
 * What one delivery costs the client (the fan-out Lambda): CPU per PostToConnection through
 * 1. the SDK's PostToConnectionCommand, 2. this project's lean signed path (shared/adapters/management-api/client.ts),
 * 3. a bare unsigned node:http request (the floor). The stub Management API runs in a child process so the
 * CPU measured here is the client's alone. Loopback only; bounded in count.
 */
import http from 'node:http';
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { ManagementApiClient } from '../shared/adapters/management-api/client';
import { startStub } from './stub';

const POSTS = Number(process.env.BENCH_POSTS ?? 4000);
const CONCURRENCY = 32;
const credentials = { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' };
const payload = new TextEncoder().encode(
  JSON.stringify({ type: 'publication', channel: 'room:bench', data: { n: 1 } }),
);

export interface PostPathResult {
  path: string;
  posts: number;
  cpuMicrosPerPost: number;
  postsPerSecond: number;
}

/** Runs the posts twice and reports the second pass: the first warms the JIT, sockets and signing-key cache. */
async function measure(path: string, post: () => Promise<void>): Promise<PostPathResult> {
  await burst(post);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await burst(post);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    path,
    posts: POSTS,
    cpuMicrosPerPost: Math.round(((cpu.user + cpu.system) / POSTS) * 10) / 10,
    postsPerSecond: Math.round((POSTS / ms) * 1000),
  };
}

/** POSTS posts, CONCURRENCY at a time. */
async function burst(post: () => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < POSTS) await post();
    }),
  );
}

export async function benchPostPaths(): Promise<PostPathResult[]> {
  const stub = await startStub();
  const endpoint = `http://127.0.0.1:${stub.port}/prod`;
  try {
    const sdk = new ApiGatewayManagementApiClient({ endpoint, region: 'us-east-1', credentials });
    const lean = new ManagementApiClient({ endpoint, region: 'us-east-1', credentials });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
    const raw = () =>
      new Promise<void>((resolve, reject) => {
        const req = http.request(
          { agent, host: '127.0.0.1', port: stub.port, method: 'POST', path: '/prod/@connections/abc%3D' },
          (res) => {
            res.resume();
            res.on('end', resolve);
          },
        );
        req.on('error', reject);
        req.end(payload);
      });
    const results = [
      await measure('SDK PostToConnectionCommand', async () => {
        await sdk.send(new PostToConnectionCommand({ ConnectionId: 'abc=', Data: payload }));
      }),
      await measure('lean signed post (ManagementApiClient)', () => lean.post('abc=', payload)),
      await measure('bare node:http, unsigned (floor)', raw),
    ];
    sdk.destroy();
    lean.destroy();
    agent.destroy();
    return results;
  } finally {
    stub.stop();
  }
}
