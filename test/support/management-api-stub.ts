import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { vi } from 'vitest';

/**
 * An in-process stand-in for a WebSocket stage's Management API on a free loopback port: it records every
 * request and answers what `answer` says (200 by default). For tests of the lean post path and of handlers
 * that post through it; the local stack's emulator (local/connections-api.ts) is the full one.
 */
export interface StubRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface StubAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface ManagementApiStub {
  /** `http://127.0.0.1:{port}/{stage}`: what WS_CALLBACK_URL would be. */
  readonly endpoint: string;
  readonly server: http.Server;
  readonly requests: StubRequest[];
  /** The answer to a request; a promise delays it (a slow service). */
  answer: (request: StubRequest) => StubAnswer | Promise<StubAnswer>;
  close(): Promise<void>;
}

export async function startManagementApiStub(stage = 'prod'): Promise<ManagementApiStub> {
  const requests: StubRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const request = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      requests.push(request);
      const a = await stub.answer(request);
      res.writeHead(a.status, a.headers);
      res.end(a.body ?? '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const stub: ManagementApiStub = {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/${stage}`,
    server,
    requests,
    answer: () => ({ status: 200 }),
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections(); // kept-alive sockets of clients a test did not destroy
      }),
  };
  return stub;
}

/**
 * The stub as the stage of handlers built from an environment as a Lambda's are: with the keys a Lambda's
 * role puts in its environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), which they sign with, until `close`.
 */
export async function startStageForLambdas(): Promise<ManagementApiStub> {
  const stub = await startManagementApiStub();
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
  const close = stub.close;
  stub.close = async () => {
    vi.unstubAllEnvs();
    await close();
  };
  return stub;
}

/** The connection id of a `POST /{stage}/@connections/{id}`, or null for any other request. */
export function postedTo(request: StubRequest): string | null {
  const match = /^\/[^/]+\/@connections\/([^/]+)$/.exec(request.url);
  return request.method === 'POST' && match ? decodeURIComponent(match[1] ?? '') : null;
}
