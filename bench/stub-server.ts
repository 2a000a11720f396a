/**
 * A Management API stub for benchmarks and tests, run as a child process (bench/stub.ts starts it). Every
 * `POST …/@connections/{id}` answers 200 after `latencyMs`, or at once 429 LimitExceededException when the
 * account's rate (`quota` a second, a token bucket with `burstMs` of it) is used up, as API Gateway answers
 * past the account's quota. It counts what it answered, per connection, and tells its parent on request.
 * Options come as JSON in argv[2]; nothing is checked of the signature (bench/post-path.ts measures the
 * client's side only).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubOptions {
  /** Milliseconds before a 200. @default 0 */
  latencyMs?: number;
  /** Requests a second before 429s; 0: no limit. @default 0 */
  quota?: number;
  /** The bucket holds this many milliseconds of the quota. @default 100 */
  burstMs?: number;
}

export interface StubStats {
  /** Posts answered 200, repeats included. */
  delivered: number;
  /** Connections that got at least one. */
  unique: number;
  throttled: number;
  /** Epoch ms of the first and the last 200. */
  firstAt: number | null;
  lastAt: number | null;
}

const options = JSON.parse(process.argv[2] ?? '{}') as StubOptions;
const latencyMs = options.latencyMs ?? 0;
const quota = options.quota ?? 0;
const capacity = quota > 0 ? Math.max(1, (quota * (options.burstMs ?? 100)) / 1000) : 0;
let tokens = capacity;
let refilledAt = performance.now();

const perConnection = new Map<string, number>();
const stats: StubStats = { delivered: 0, unique: 0, throttled: 0, firstAt: null, lastAt: null };

/** Takes one token of the account's bucket; false when it is empty. */
function admit(): boolean {
  if (quota <= 0) return true;
  const now = performance.now();
  tokens = Math.min(capacity, tokens + ((now - refilledAt) * quota) / 1000);
  refilledAt = now;
  if (tokens < 1) return false;
  tokens -= 1;
  return true;
}

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (!admit()) {
      stats.throttled++;
      const body = JSON.stringify({ message: 'Limit Exceeded' });
      res.writeHead(429, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'x-amzn-ErrorType': 'LimitExceededException',
      });
      res.end(body);
      return;
    }
    const answer = () => {
      const at = req.url?.lastIndexOf('/@connections/') ?? -1;
      const id = at === -1 ? '' : decodeURIComponent(req.url!.slice(at + '/@connections/'.length));
      const seen = perConnection.get(id) ?? 0;
      perConnection.set(id, seen + 1);
      if (seen === 0) stats.unique++;
      stats.delivered++;
      const now = Date.now();
      stats.firstAt ??= now;
      stats.lastAt = now;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '0' });
      res.end();
    };
    if (latencyMs > 0) setTimeout(answer, latencyMs);
    else answer();
  });
});
server.keepAliveTimeout = 60_000;
server.maxRequestsPerSocket = 0;
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
process.on('message', (m) => {
  if ((m as { type?: string }).type === 'stats') process.send?.({ stats });
});
process.on('disconnect', () => process.exit(0));
