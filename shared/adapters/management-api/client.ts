import type { ConnectionInfo } from '../../core/ports';
import { type Credentials, type CredentialsProvider, credentialsProvider } from '../aws/credentials';
import { AwsHttpClient, type AwsResponse, type AwsServiceError, errorFromResponse } from '../aws/http';
import { Http1Pool } from '../aws/http1';
import { PostSigner } from './post-signer';

/** Static keys (the local stack's): the base's `Credentials`, under the name the runtime and the server library export. */
export type StaticCredentials = Credentials;

export interface ManagementApiOptions {
  /** The stage's callback URL: https://{api-id}.execute-api.{region}.amazonaws.com/{stage}. */
  endpoint: string;
  region: string;
  /**
   * Explicit credentials (the local stack's dummy ones) or a provider of them (the server library's default
   * chain); the environment's (a Lambda's role) when absent.
   */
  credentials?: StaticCredentials | CredentialsProvider | undefined;
  /**
   * Sockets open to the endpoint at most (default 1024). In AWS a container runs one invocation at a time,
   * which posts at most `FANOUT_CONCURRENCY` (64) at once, so the bound is never reached there. The local
   * stack serves every concurrent invocation from one runtime, as many containers would; at 128 the ten
   * fan-out workers shared 128 posts in flight (`npm run bench -- scale`: 3,269 deliveries a second against
   * 4,042–4,848 at 1024, docs/performance.md).
   */
  maxSockets?: number;
  /**
   * Posts in flight on one socket at most (HTTP/1.1 pipelining; ../aws/http1.ts), those of one tick sent in
   * one write. Default 1: AWS's endpoints and the proxies before them need not take pipelined requests. The
   * local stack's handlers post with FANOUT_CONCURRENCY (64; shared/app/runtime.ts): its emulator answers a chunk's posts in
   * one write (local/connections-wire.ts).
   */
  pipeline?: number;
}

const POST_TIMEOUT_MS = 5_000;

/**
 * The API Gateway Management API on signed HTTP requests, without the SDK: GET and DELETE of a connection
 * through the lean AWS client (../aws/http.ts: SigV4, the SDK's standard retries); the post, the hot loop of
 * every delivery, through its own path: one SigV4 signer reused (it caches the signing key), one pool of
 * kept-alive sockets (../aws/http1.ts), no retry (core/delivery/post.ts retries as a delivery should).
 * Every failure is an error shaped as the SDK's were (`name`: GoneException, LimitExceededException, …;
 * `$metadata.httpStatusCode`), which isGoneError, isRetryable and httpStatusOf read; the Gateway port
 * (./gateway.ts) puts them in the protocol's terms.
 */
export class ManagementApiClient {
  readonly #url: URL;
  readonly #api: AwsHttpClient;
  readonly #signer: PostSigner;
  readonly #basePath: string;
  readonly #pool: Http1Pool;

  constructor(options: ManagementApiOptions) {
    this.#url = new URL(options.endpoint.replace(/\/+$/, ''));
    const credentials = credentialsProvider(options.credentials);
    this.#api = new AwsHttpClient({
      endpoint: this.#url.toString(),
      region: options.region,
      service: 'execute-api',
      credentials,
    });
    this.#signer = new PostSigner(options.region, 'execute-api', credentials);
    this.#basePath = this.#url.pathname === '/' ? '' : this.#url.pathname;
    this.#pool = new Http1Pool({
      url: this.#url,
      maxSockets: options.maxSockets ?? 1024,
      pipeline: options.pipeline ?? 1,
    });
  }

  async post(connectionId: string, data: Uint8Array): Promise<void> {
    const path = `${this.#basePath}${connectionPath(connectionId)}`;
    const headers = await this.#signer.sign(this.#url.host, path, data);
    const answer = await this.#pool.request({
      method: 'POST',
      path,
      headers,
      body: data,
      timeoutMs: POST_TIMEOUT_MS,
      timeoutMessage: 'ETIMEDOUT: post to connection timed out',
    });
    if (answer.status >= 200 && answer.status < 300) return;
    throw managementApiError(answer);
  }

  /** DELETE: true once closed, false when it was gone already. */
  async close(connectionId: string): Promise<boolean> {
    const answer = await this.#api.request({ method: 'DELETE', path: connectionPath(connectionId) });
    if (answer.status >= 200 && answer.status < 300) return true;
    const error = managementApiError(answer);
    if (isGoneError(error)) return false;
    throw error;
  }

  /** GET: the connection's times and source IP, null when it is gone. */
  async info(connectionId: string): Promise<ConnectionInfo | null> {
    const answer = await this.#api.request({ method: 'GET', path: connectionPath(connectionId) });
    if (answer.status < 200 || answer.status >= 300) {
      const error = managementApiError(answer);
      if (isGoneError(error)) return null;
      throw error;
    }
    const out = JSON.parse(answer.body.toString('utf8')) as {
      connectedAt?: unknown;
      lastActiveAt?: unknown;
      identity?: { sourceIp?: unknown };
    };
    return {
      connectedAt: isoTime(out.connectedAt),
      lastActiveAt: isoTime(out.lastActiveAt),
      sourceIp: typeof out.identity?.sourceIp === 'string' ? out.identity.sourceIp : undefined,
    };
  }

  destroy(): void {
    this.#pool.destroy();
    this.#api.destroy();
  }
}

/** `/@connections/{id}`, the id URL-encoded once (the stage's path goes before it). */
const connectionPath = (connectionId: string): string => `/@connections/${encodeURIComponent(connectionId)}`;

/** The Management API's date-time (ISO 8601; epoch seconds read too) as an ISO string. */
function isoTime(value: unknown): string | undefined {
  if (typeof value === 'string') return new Date(value).toISOString();
  if (typeof value === 'number') return new Date(value * 1000).toISOString();
  return undefined;
}

/** The names the SDK's model gives these statuses, whatever x-amzn-errortype says. */
const ERROR_BY_STATUS: Readonly<Record<number, string>> = {
  410: 'GoneException',
  429: 'LimitExceededException',
  413: 'PayloadTooLargeException',
  403: 'ForbiddenException',
};

/**
 * The error of an answer, named as the SDK named it: the model's exception for its status, else as
 * errorFromResponse names it (x-amzn-errortype, else InternalServerError for a 5xx or UnknownError).
 */
function managementApiError(answer: AwsResponse): AwsServiceError {
  const error = errorFromResponse(answer);
  error.name = ERROR_BY_STATUS[answer.status] ?? error.name;
  return error;
}

interface SdkErrorShape {
  name?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

const statusOf = (error: unknown): number | undefined => {
  const s = (error as SdkErrorShape | null)?.$metadata?.httpStatusCode;
  return typeof s === 'number' ? s : undefined;
};

/** An AWS error says "gone" by its name or its HTTP status, never by a `statusCode` field. */
export function isGoneError(error: unknown): boolean {
  return (error as SdkErrorShape | null)?.name === 'GoneException' || statusOf(error) === 410;
}

/** Throttled, a 5xx, or no answer at all (a reset socket, a timeout): worth another try. */
export function isRetryable(error: unknown): boolean {
  const name = (error as SdkErrorShape | null)?.name;
  if (
    name === 'LimitExceededException' ||
    name === 'ThrottlingException' ||
    name === 'TooManyRequestsException'
  ) {
    return true;
  }
  const status = statusOf(error);
  if (status !== undefined) return status === 429 || status >= 500;
  return error instanceof Error && /ECONNRESET|ETIMEDOUT|EPIPE|socket hang up/i.test(error.message);
}

/** The HTTP status an AWS error carries, where it has one. */
export const httpStatusOf = statusOf;
