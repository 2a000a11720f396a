import http from 'node:http';
import https from 'node:https';
import {
  ApiGatewayManagementApiClient,
  ApiGatewayManagementApiServiceException,
  DeleteConnectionCommand,
  ForbiddenException,
  GetConnectionCommand,
  GoneException,
  LimitExceededException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { ConnectionInfo } from '../../core/ports';
import { type CredentialsProvider, PostSigner } from './post-signer';

export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface ManagementApiOptions {
  /** The stage's callback URL: https://{api-id}.execute-api.{region}.amazonaws.com/{stage}. */
  endpoint: string;
  region: string;
  /** Explicit credentials (the local stack's dummy ones); the SDK's default chain when absent. */
  credentials?: StaticCredentials | CredentialsProvider;
  /** Post through the lean signed-request path (default) or through the SDK client. */
  fastPost?: boolean;
  /** An SDK client to use (tests inject one); built from the options when absent. */
  client?: ApiGatewayManagementApiClient;
  /**
   * Sockets open to the endpoint at most (default 1024). In AWS a container runs one invocation at a time,
   * which posts at most `FANOUT_CONCURRENCY` (64) at once, so the bound is never reached there. The local
   * stack serves every concurrent invocation from one runtime, as many containers would; at 128 the ten
   * fan-out workers shared 128 posts in flight (`npm run bench -- scale`: 3,269 deliveries a second against
   * 4,042–4,848 at 1024, docs/performance.md).
   */
  maxSockets?: number;
}

const POST_TIMEOUT_MS = 5_000;

/**
 * The API Gateway Management API as the SDK speaks it (the Gateway port, ./gateway.ts, puts it in the
 * protocol's terms). GET and DELETE go through the SDK client. The post, the hot loop of every delivery,
 * goes through a lean path: one SigV4 signer reused (it caches the signing key), one keep-alive agent, no
 * middleware stack; its failures are the SDK's own exception classes, so callers cannot tell the two
 * paths apart (see bench/ for what each costs).
 */
export class ManagementApiClient {
  readonly client: ApiGatewayManagementApiClient;
  readonly #fastPost: boolean;
  readonly #url: URL;
  readonly #signer: PostSigner;
  readonly #basePath: string;
  readonly #agent: http.Agent;

  constructor(options: ManagementApiOptions) {
    this.#url = new URL(options.endpoint.replace(/\/+$/, ''));
    this.client =
      options.client ??
      new ApiGatewayManagementApiClient({
        endpoint: this.#url.toString(),
        region: options.region,
        ...(options.credentials ? { credentials: options.credentials } : {}),
      });
    this.#fastPost = options.fastPost ?? true;
    const credentials = options.credentials;
    this.#signer = new PostSigner(
      options.region,
      'execute-api',
      typeof credentials === 'function'
        ? credentials
        : credentials
          ? async () => credentials
          : () => this.client.config.credentials(),
    );
    this.#basePath = this.#url.pathname === '/' ? '' : this.#url.pathname;
    const Agent = this.#url.protocol === 'https:' ? https.Agent : http.Agent;
    this.#agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 1024 });
  }

  async post(connectionId: string, data: Uint8Array): Promise<void> {
    if (!this.#fastPost) {
      await this.client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
      return;
    }
    const path = `${this.#basePath}/@connections/${encodeURIComponent(connectionId)}`;
    const headers = await this.#signer.sign(this.#url.host, path, data);
    const answer = await this.#send(path, headers, data);
    if (answer.status >= 200 && answer.status < 300) return;
    throw toSdkError(answer.status, answer.body, answer.headers);
  }

  async close(connectionId: string): Promise<boolean> {
    try {
      await this.client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
      return true;
    } catch (error) {
      if (isGoneError(error)) return false;
      throw error;
    }
  }

  async info(connectionId: string): Promise<ConnectionInfo | null> {
    try {
      const out = await this.client.send(new GetConnectionCommand({ ConnectionId: connectionId }));
      return {
        connectedAt: out.ConnectedAt?.toISOString(),
        lastActiveAt: out.LastActiveAt?.toISOString(),
        sourceIp: out.Identity?.SourceIp,
      };
    } catch (error) {
      if (isGoneError(error)) return null;
      throw error;
    }
  }

  destroy(): void {
    this.#agent.destroy();
    this.client.destroy();
  }

  #send(
    path: string,
    headers: Record<string, string>,
    data: Uint8Array,
  ): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
    const url = this.#url;
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = transport.request(
        {
          agent: this.#agent,
          method: 'POST',
          hostname: url.hostname,
          ...(url.port ? { port: Number(url.port) } : {}),
          path,
          headers,
          timeout: POST_TIMEOUT_MS,
        },
        (res) => {
          // A success has an empty body: nothing to collect, but it must be drained for keep-alive.
          if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: '', headers: res.headers }));
            res.on('error', reject);
            return;
          }
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              headers: res.headers,
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('ETIMEDOUT: post to connection timed out')));
      req.on('error', reject);
      req.end(data);
    });
  }
}

/** The same exception classes, names and `$metadata` the SDK gives for these answers. */
function toSdkError(status: number, body: string, headers: http.IncomingHttpHeaders): Error {
  let message = `HTTP ${status}`;
  try {
    const parsed = JSON.parse(body) as { message?: unknown; Message?: unknown };
    const m = parsed.message ?? parsed.Message;
    if (typeof m === 'string') message = m;
  } catch {
    // not JSON: keep the status line
  }
  const requestId = headers['x-amzn-requestid'];
  const opts = {
    message,
    $metadata: { httpStatusCode: status, ...(typeof requestId === 'string' ? { requestId } : {}) },
  };
  const type = String(headers['x-amzn-errortype'] ?? '').split(':')[0];
  if (status === 410 || type === 'GoneException') return new GoneException(opts);
  if (status === 429 || type === 'LimitExceededException') return new LimitExceededException(opts);
  if (status === 413 || type === 'PayloadTooLargeException') return new PayloadTooLargeException(opts);
  if (status === 403 || type === 'ForbiddenException') return new ForbiddenException(opts);
  return new ApiGatewayManagementApiServiceException({
    name: type || (status >= 500 ? 'InternalServerError' : 'UnknownError'),
    $fault: status >= 500 ? 'server' : 'client',
    ...opts,
  });
}

interface SdkErrorShape {
  name?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

const statusOf = (error: unknown): number | undefined => {
  const s = (error as SdkErrorShape | null)?.$metadata?.httpStatusCode;
  return typeof s === 'number' ? s : undefined;
};

/** The SDK v3 says "gone" by its error's name or its HTTP status, never by a `statusCode` field. */
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

/** The HTTP status the SDK error carries, where it has one. */
export const httpStatusOf = statusOf;
