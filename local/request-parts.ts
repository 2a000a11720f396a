import type { IncomingMessage } from 'node:http';

/** The pieces of an HTTP request that API Gateway puts into events, read once per request. */
export interface RequestParts {
  method: string;
  /** The path as sent, still URL-encoded. */
  rawPath: string;
  /** Everything after `?`, as sent. */
  rawQueryString: string;
  /** Header names as the client spelled them; repeated headers joined with `,`. */
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
  sourceIp: string;
  userAgent: string | undefined;
}

export function requestParts(req: IncomingMessage): RequestParts {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const multiValueHeaders: Record<string, string[]> = {};
  // One spelling per header: the first one the client used.
  const spelling = new Map<string, string>();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const key = spelling.get(name.toLowerCase()) ?? name;
    spelling.set(name.toLowerCase(), key);
    multiValueHeaders[key] = [...(multiValueHeaders[key] ?? []), raw[i + 1]!];
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(multiValueHeaders)) headers[k] = v.join(',');
  const ua = req.headers['user-agent'];
  return {
    method: req.method ?? 'GET',
    rawPath: q === -1 ? url : url.slice(0, q),
    rawQueryString: q === -1 ? '' : url.slice(q + 1),
    headers,
    multiValueHeaders,
    sourceIp: clientIp(req.socket.remoteAddress),
    userAgent: typeof ua === 'string' ? ua : undefined,
  };
}

/** IPv4 clients of a dual-stack socket appear as `::ffff:a.b.c.d`; API Gateway reports `a.b.c.d`. */
export function clientIp(address: string | undefined): string {
  if (!address) return '127.0.0.1';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** Query parameters as lists, decoded (`+` is a space, as in forms); malformed escapes are kept as sent. */
export function parseQuery(rawQueryString: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (!rawQueryString) return out;
  for (const pair of rawQueryString.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const key = decode(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : decode(pair.slice(eq + 1));
    out[key] = [...(out[key] ?? []), value];
  }
  return out;
}

function decode(s: string): string {
  const spaced = s.replaceAll('+', ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/** Lower-cased header names, repeated values joined with `,` (HTTP API payload 2.0). */
export function lowerCaseHeaders(multiValueHeaders: Record<string, string[]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(multiValueHeaders)) {
    const key = k.toLowerCase();
    out[key] = out[key] === undefined ? v.join(',') : `${out[key]},${v.join(',')}`;
  }
  return out;
}
