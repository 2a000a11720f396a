import { createHmac, hash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { LocalCredentials } from './credentials';

/**
 * Verifies AWS Signature Version 4 on a request to one of the stack's AWS APIs, and says what AWS answers
 * when it fails: 403 with the `x-amzn-ErrorType` and message AWS sends (IncompleteSignatureException for
 * a malformed Authorization header, UnrecognizedClientException for an unknown access key or any session
 * token, InvalidSignatureException for a wrong credential scope, a date more than 5 minutes off, or a
 * signature that does not match). It is written from the SigV4 specification, independently of the
 * project's lean signer (shared/adapters/post-signer.ts), so every local delivery checks that signer.
 *
 * The payload hash is the body's SHA-256, or `UNSIGNED-PAYLOAD` when the `x-amz-content-sha256` header
 * says so; a header that claims another hash than the body's fails as a mismatch (AWS hashes what came).
 */
export interface SigV4Scope {
  credentials: LocalCredentials;
  region: string;
  service: string;
}

export type SigV4Outcome = { ok: true } | { ok: false; type: SigV4ErrorType; message: string };

export type SigV4ErrorType =
  | 'MissingAuthenticationTokenException'
  | 'IncompleteSignatureException'
  | 'UnrecognizedClientException'
  | 'InvalidSignatureException';

/** API Gateway's window for X-Amz-Date ("Signature expired: … (… - 5 min.)"). */
export const MAX_SKEW_MS = 5 * 60 * 1000;
const ALGORITHM = 'AWS4-HMAC-SHA256';
const UNSIGNED = 'UNSIGNED-PAYLOAD';

export interface SignedRequest {
  method: string;
  /** The request target as it came: path and query, still percent-encoded. */
  url: string;
  /** name, value, name, value… as received (IncomingMessage.rawHeaders). */
  rawHeaders: readonly string[];
}

export const signedRequest = (req: IncomingMessage): SignedRequest => ({
  method: req.method ?? 'GET',
  url: req.url ?? '/',
  rawHeaders: req.rawHeaders,
});

export function verifySigV4(
  request: SignedRequest,
  body: Uint8Array,
  scope: SigV4Scope,
  now: number = Date.now(),
): SigV4Outcome {
  const headers = headerMap(request.rawHeaders);
  const authorization = headers.get('authorization');
  if (authorization === undefined)
    return fail('MissingAuthenticationTokenException', 'Missing Authentication Token');
  // Another scheme (`Bearer …`) is an Authorization header without any of SigV4's parameters.
  const params = authorization.startsWith(`${ALGORITHM} `)
    ? parseAuthorization(authorization.slice(ALGORITHM.length + 1))
    : new Map<string, string>();
  const missing = ['Credential', 'Signature', 'SignedHeaders'].filter((p) => !params.has(p));
  const amzDate = headers.get('x-amz-date') ?? headers.get('date');
  const problems = missing.map((p) => `Authorization header requires '${p}' parameter. `);
  if (amzDate === undefined) {
    problems.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ");
  }
  if (problems.length > 0) {
    return fail('IncompleteSignatureException', `${problems.join('')}Authorization=${authorization}`);
  }
  const credential = params.get('Credential')!.split('/');
  const signedHeaders = params.get('SignedHeaders')!.split(';');
  const signature = params.get('Signature')!;
  if (credential.length !== 5) {
    return fail(
      'IncompleteSignatureException',
      `Credential should have five parts separated by '/': ${params.get('Credential')}. Authorization=${authorization}`,
    );
  }
  const [accessKeyId, day, region, service, terminator] = credential as [
    string,
    string,
    string,
    string,
    string,
  ];

  const date = parseAmzDate(amzDate!);
  if (date === null) {
    return fail('IncompleteSignatureException', `Date must be in ISO-8601 'basic format'. Got '${amzDate}'.`);
  }
  if (terminator !== 'aws4_request') {
    return fail(
      'InvalidSignatureException',
      `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'. `,
    );
  }
  if (service !== scope.service) {
    return fail(
      'InvalidSignatureException',
      `Credential should be scoped to correct service: '${scope.service}'. `,
    );
  }
  if (region !== scope.region)
    return fail('InvalidSignatureException', 'Credential should be scoped to a valid region. ');
  if (day !== amzDate!.slice(0, 8)) {
    return fail(
      'InvalidSignatureException',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${day}' != '${amzDate!.slice(0, 8)}', from '${amzDate}'.`,
    );
  }
  if (date < now - MAX_SKEW_MS) {
    return fail(
      'InvalidSignatureException',
      `Signature expired: ${amzDate} is now earlier than ${basicDate(now - MAX_SKEW_MS)} (${basicDate(now)} - 5 min.)`,
    );
  }
  if (date > now + MAX_SKEW_MS) {
    return fail(
      'InvalidSignatureException',
      `Signature not yet current: ${amzDate} is still later than ${basicDate(now + MAX_SKEW_MS)} (${basicDate(now)} + 5 min.)`,
    );
  }
  // This stack hands out no temporary credentials: a session token is one it never issued.
  if (accessKeyId !== scope.credentials.accessKeyId || headers.has('x-amz-security-token')) {
    return fail('UnrecognizedClientException', 'The security token included in the request is invalid.');
  }
  if (!signedHeaders.includes('host')) {
    return fail(
      'InvalidSignatureException',
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    );
  }

  const contentHash = headers.get('x-amz-content-sha256');
  const payloadHash = contentHash === UNSIGNED ? UNSIGNED : bodyHash(body);
  const canonicalRequest = [
    request.method,
    canonicalUri(request.url),
    canonicalQuery(request.url),
    ...signedHeaders.map((name) => `${name}:${headers.get(name) ?? ''}`),
    '',
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const credentialScope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = [ALGORITHM, amzDate, credentialScope, sha256Hex(canonicalRequest)].join('\n');
  const expected = hmac(
    signingKey(scope.credentials.secretAccessKey, day, region, service),
    stringToSign,
  ).toString('hex');
  if (!sameText(expected, signature)) {
    return fail(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret ' +
        'Access Key and signing method. Consult the service documentation for details.\n\n' +
        `The Canonical String for this request should have been\n'${canonicalRequest}'\n\n` +
        `The String-to-Sign should have been\n'${stringToSign}'\n`,
    );
  }
  return { ok: true };
}

const fail = (type: SigV4ErrorType, message: string): SigV4Outcome => ({ ok: false, type, message });

/** Lower-cased names; repeated headers joined with commas; values trimmed, inner runs of spaces made one. */
function headerMap(raw: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!.trim().replace(/\s+/g, ' ');
    const before = map.get(name);
    map.set(name, before === undefined ? value : `${before},${value}`);
  }
  return map;
}

/** `Credential=…, SignedHeaders=…, Signature=…`, in any order, with or without spaces after the commas. */
function parseAuthorization(text: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) params.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return params;
}

/** The last date parsed: the requests of one second all carry the same. */
let lastDate = { text: '', ms: null as number | null };

function parseAmzDate(text: string): number | null {
  if (text === lastDate.text) return lastDate.ms;
  const ms = parseBasicDate(text);
  lastDate = { text, ms };
  return ms;
}

/** `20261123T120000Z` → epoch ms, or null. */
function parseBasicDate(text: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  return Number.isNaN(ms) ? null : ms;
}

const basicDate = (ms: number): string => new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '');

/**
 * The canonical URI of every service but S3: the path as it came (already percent-encoded once), each
 * byte outside the unreserved set percent-encoded again, slashes kept.
 */
function canonicalUri(url: string): string {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  return uriEncode(path || '/', false);
}

/** Parameters sorted by encoded name then value, each decoded once and encoded the SigV4 way. */
function canonicalQuery(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return '';
  const pairs = url
    .slice(q + 1)
    .split('&')
    .filter(Boolean)
    .map((p) => {
      const eq = p.indexOf('=');
      const [k, v] = eq === -1 ? [p, ''] : [p.slice(0, eq), p.slice(eq + 1)];
      return [uriEncode(decode(k), true), uriEncode(decode(v), true)] as const;
    });
  pairs.sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** What RFC 3986 leaves unreserved (and `/` in a path): nothing to encode. */
const UNRESERVED = /^[A-Za-z0-9\-._~]*$/;
const UNRESERVED_PATH = /^[A-Za-z0-9\-._~/]*$/;

/**
 * SigV4's URI encoding: every byte but the unreserved ones as `%XX` (upper case), `/` kept in a path.
 * `encodeURIComponent` does that but for `!'()*`, which it leaves as they are; a lone surrogate, which it
 * refuses, goes byte by byte (as U+FFFD, what Buffer makes of it).
 */
function uriEncode(text: string, encodeSlash: boolean): string {
  if ((encodeSlash ? UNRESERVED : UNRESERVED_PATH).test(text)) return text;
  let out: string;
  try {
    out = encodeURIComponent(text);
  } catch {
    return uriEncodeBytes(text, encodeSlash);
  }
  out = out.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return encodeSlash ? out : out.replaceAll('%2F', '/');
}

/** RFC 3986 unreserved characters stay; every other UTF-8 byte becomes %XX (upper case). */
function uriEncodeBytes(text: string, encodeSlash: boolean): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-._~]/.test(c) || (c === '/' && !encodeSlash)) out += c;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const sha256Hex = (data: string | Uint8Array): string => hash('sha256', data, 'hex');

/** The last body hashed, and its hash: a fan-out posts the same bytes to every connection, one after another. */
let lastBody = { bytes: Buffer.alloc(0), hash: sha256Hex(new Uint8Array()) };

function bodyHash(body: Uint8Array): string {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (bytes.equals(lastBody.bytes)) return lastBody.hash;
  const hash = sha256Hex(bytes);
  lastBody = { bytes: Buffer.from(bytes), hash };
  return hash;
}
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();

const keys = new Map<string, Buffer>();

/** kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, day), region), service), "aws4_request"), kept per scope. */
function signingKey(secret: string, day: string, region: string, service: string): Buffer {
  const id = `${day}/${region}/${service}/${secret}`;
  let key = keys.get(id);
  if (!key) {
    key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), service), 'aws4_request');
    if (keys.size > 64) keys.clear();
    keys.set(id, key);
  }
  return key;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
