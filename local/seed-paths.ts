import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  FORWARDED_HEADERS,
  type GeneratedResponse,
  isGeneratedResponse,
  loadSeedPaths,
  type SeedPathsConfig,
  type ViewerRequest,
  type ViewerRequestEvent,
} from '../edge/index';
import { awsStyleId } from './ids';
import { errorText, type LocalLog } from './log';
import { clientIp } from './request-parts';
import { listen } from './server';

/**
 * The seed paths on a port of their own, as the CloudFront distribution serves them in AWS: every request
 * goes through edge/seed-paths.js (the same code CloudFront runs); what it forwards reaches the WebSocket
 * API with only the headers the distribution's origin request policy forwards, and then the emulator's
 * ordinary handshake ($connect authorizer, $connect) decides.
 */
export interface SeedPathsOptions {
  /** 0 picks a free one. */
  port: number;
  host: string;
  config: SeedPathsConfig;
  /** The WebSocket API's own host, which API Gateway sees as Host (the distribution's origin). */
  originHost: string;
  /** The WebSocket API's upgrade handler. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  log: LocalLog;
}

export interface SeedPathsServer {
  port: number;
  close(graceMs: number): Promise<void>;
}

/** What CloudFront answers when a function fails: 503, the function's error stays in its logs. */
const FUNCTION_FAILED: GeneratedResponse = {
  statusCode: 503,
  statusDescription: 'Service Unavailable',
  body: { encoding: 'text', data: JSON.stringify({ message: 'The CloudFront function failed' }) },
};

export async function startSeedPaths(options: SeedPathsOptions): Promise<SeedPathsServer> {
  const { log } = options;
  const rewrite = loadSeedPaths(options.config);
  const server = await listen(options.port, options.host);
  const domain = `localhost:${server.port}`;
  const run = (req: IncomingMessage) => {
    const event = viewerRequestEvent(req.method ?? 'GET', req.url ?? '/', req.rawHeaders, {
      ip: clientIp(req.socket.remoteAddress),
      domain,
    });
    try {
      return rewrite(event);
    } catch (error) {
      log.error(`seed paths: the function failed on ${event.request.uri}: ${errorText(error)}`);
      return FUNCTION_FAILED;
    }
  };

  server.mount({
    async request(req, res) {
      const result = run(req);
      if (isGeneratedResponse(result)) return respond(res, result);
      // A seed path asked for without an upgrade: the WebSocket API takes WebSocket handshakes only.
      res.writeHead(426, { upgrade: 'websocket', 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'Upgrade Required' }));
    },
    upgrade(req, socket, head) {
      const result = run(req);
      if (isGeneratedResponse(result)) {
        log.info(`seed paths: ${req.url} answered ${result.statusCode}`);
        return refuse(socket, result);
      }
      req.url = originUrl(result);
      forwardOnly(req, options.originHost);
      log.debug(`seed paths: → ${req.url}`);
      options.upgrade(req, socket, head);
    },
  });
  return { port: server.port, close: (graceMs) => server.close(graceMs) };
}

/**
 * The viewer-request event CloudFront builds: the path and query string as the viewer sent them (still
 * percent-encoded), header names lower-cased, a repeated header or parameter as `multiValue`, cookies apart.
 */
export function viewerRequestEvent(
  method: string,
  url: string,
  rawHeaders: readonly string[],
  viewer: { ip: string; domain: string },
): ViewerRequestEvent {
  const q = url.indexOf('?');
  const headers: ViewerRequest['headers'] = {};
  const cookies: ViewerRequest['cookies'] = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!;
    if (name === 'cookie') {
      for (const pair of value.split(/;\s*/)) {
        const eq = pair.indexOf('=');
        if (eq > 0) add(cookies, pair.slice(0, eq), pair.slice(eq + 1));
      }
    } else add(headers, name, value);
  }
  const querystring: ViewerRequest['querystring'] = {};
  if (q !== -1) {
    for (const pair of url.slice(q + 1).split('&')) {
      if (!pair) continue;
      const eq = pair.indexOf('=');
      add(querystring, eq === -1 ? pair : pair.slice(0, eq), eq === -1 ? '' : pair.slice(eq + 1));
    }
  }
  return {
    version: '1.0',
    context: {
      distributionDomainName: viewer.domain,
      distributionId: 'ELOCALSEEDPATHS',
      eventType: 'viewer-request',
      requestId: awsStyleId(),
    },
    viewer: { ip: viewer.ip },
    request: { method, uri: q === -1 ? url : url.slice(0, q), querystring, headers, cookies },
  };
}

/** One more value of a name: the first is `value`, and from the second on all are in `multiValue`. */
function add(
  into: Record<string, { value: string; multiValue?: { value: string }[] }>,
  name: string,
  value: string,
) {
  const entry = into[name];
  if (!entry) into[name] = { value };
  else entry.multiValue = [...(entry.multiValue ?? [{ value: entry.value }]), { value }];
}

/** The URL the origin gets: the function's uri and query string, written out as they are (no re-encoding). */
export function originUrl(request: ViewerRequest): string {
  const qs = request.querystring;
  const query =
    typeof qs === 'string'
      ? qs
      : Object.entries(qs)
          .flatMap(([key, { value, multiValue }]) =>
            (multiValue?.length ? multiValue : [{ value }]).map((v) => `${key}=${v.value}`),
          )
          .join('&');
  return query ? `${request.uri}?${query}` : request.uri;
}

/** The handshake as it reaches API Gateway through the distribution: its own Host, the allow-listed headers. */
function forwardOnly(req: IncomingMessage, originHost: string): void {
  const keep = new Set(['connection', 'upgrade', ...FORWARDED_HEADERS.map((h) => h.toLowerCase())]);
  const raw: string[] = ['Host', originHost, 'User-Agent', 'Amazon CloudFront'];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    if (keep.has(req.rawHeaders[i]!.toLowerCase())) raw.push(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  }
  const headers: IncomingMessage['headers'] = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    headers[name] = headers[name] === undefined ? raw[i + 1]! : `${headers[name]}, ${raw[i + 1]!}`;
  }
  req.rawHeaders = raw;
  req.headers = headers;
}

function bodyOf(result: GeneratedResponse): Buffer {
  const { body } = result;
  if (body === undefined) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body);
  return Buffer.from(body.data, body.encoding === 'base64' ? 'base64' : 'utf8');
}

function headerPairs(result: GeneratedResponse): [string, string][] {
  return Object.entries(result.headers ?? {}).flatMap(([name, { value, multiValue }]) =>
    (multiValue?.length ? multiValue : [{ value }]).map((v): [string, string] => [name, v.value]),
  );
}

function respond(res: ServerResponse, result: GeneratedResponse): void {
  const body = bodyOf(result);
  // A flat list of names and values: a generated response may repeat a header.
  res.writeHead(
    result.statusCode,
    result.statusDescription ?? '',
    [...headerPairs(result), ['content-length', String(body.length)]].flat(),
  );
  res.end(body);
}

/** The generated response on the raw socket of an upgrade request, then the connection closes. */
function refuse(socket: Duplex, result: GeneratedResponse): void {
  const body = bodyOf(result);
  const lines = [
    `HTTP/1.1 ${result.statusCode} ${result.statusDescription ?? ''}`,
    ...headerPairs(result).map(([name, value]) => `${name}: ${value}`),
    'Connection: close',
    `Content-Length: ${body.length}`,
  ];
  socket.on('error', () => {}); // a client that resets meanwhile must not take the server down
  socket.once('finish', () => socket.destroy());
  socket.end(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), body]));
}
