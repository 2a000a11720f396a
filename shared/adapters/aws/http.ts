import { type Credentials, type CredentialsProvider, credentialsProvider } from './credentials';
import { Http1Pool } from './http1';
import { canonicalQuery, SigV4Signer } from './signer';

export interface AwsClientOptions {
  /** The service's URL, e.g. https://dynamodb.eu-west-1.amazonaws.com, a local endpoint, or a base URL with a path. */
  endpoint: string;
  region: string;
  /** The signing name: dynamodb, sqs, lambda, execute-api. */
  service: string;
  /** Static credentials or a provider; the environment's (a Lambda's role) when absent. */
  credentials?: Credentials | CredentialsProvider | undefined;
  /** Sockets open to the endpoint at most, kept alive. @default 50 (the SDK's) */
  maxSockets?: number | undefined;
  /**
   * Requests in flight on one socket at most (HTTP/1.1 pipelining, ./http1.ts): only for a server known to
   * take them, the local stack's own DynamoDB on loopback. @default 1
   */
  pipeline?: number | undefined;
  /**
   * An attempt's bound on silence (the socket's idle time); such a timeout is not retried, since the service
   * may have carried the request out. @default none, as the SDK: the Lambda's own timeout bounds a request.
   * (A 10 s default here, retried, applied counts' ADDs twice when DynamoDB Local queued requests longer
   * under a burst of 2,000 disconnects.)
   */
  timeoutMs?: number | undefined;
  /** Attempts in all, as the SDK's standard retry mode. @default 3 */
  maxAttempts?: number | undefined;
}

export interface AwsResponse {
  status: number;
  /** Lower-case names. */
  headers: Readonly<Record<string, string | undefined>>;
  body: Buffer;
  /** The attempts it took (AwsHttpClient.request's answers), for the error's `$metadata`. */
  attempts?: number;
}

export interface AwsRequest {
  method: string;
  /** Appended to the endpoint's own path; URI-encoded already. */
  path: string;
  query?: Record<string, string> | undefined;
  headers?: Record<string, string> | undefined;
  body?: Uint8Array | string | undefined;
  /** Stops the request where it is (the socket, or the wait before a retry): it rejects with the reason. */
  signal?: AbortSignal | undefined;
}

/** A service's error answer, shaped as the SDK's exceptions are (`name`, `$fault`, `$metadata`). */
export class AwsServiceError extends Error {
  override name: string;
  readonly $fault: 'client' | 'server';
  readonly $metadata: { httpStatusCode?: number; requestId?: string; attempts?: number };

  constructor(
    name: string,
    message: string,
    $fault: 'client' | 'server',
    $metadata: AwsServiceError['$metadata'],
  ) {
    super(message);
    this.name = name;
    this.$fault = $fault;
    this.$metadata = $metadata;
  }
}

/** The SDK's standard retry mode: what is worth another attempt. */
const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'TransactionInProgressException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'LimitExceededException',
  'RequestThrottled',
  'SlowDown',
  'PriorRequestNotComplete',
]);
const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);
const NETWORK_ERROR = /ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|socket hang up/i;
/** The SDK's backoff: a random share of base × 2^attempt, at most 20 s. */
const BASE_DELAY_MS = 100;
const THROTTLING_BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 20_000;

/**
 * One signed HTTP request to an AWS service, kept-alive and retried as the SDK's standard mode retries
 * (throttling names and 429, 500/502/503/504, a reset or timed-out socket; 3 attempts; the same backoff),
 * without the SDK's middleware stack: what every Lambda's requests cost in CPU and every bundle in bytes.
 * It resolves with the final answer whatever its status: each client maps its own errors.
 */
export class AwsHttpClient {
  readonly url: URL;
  readonly #basePath: string;
  readonly #signer: SigV4Signer;
  readonly #pool: Http1Pool;
  readonly #timeoutMs: number | undefined;
  readonly #maxAttempts: number;

  constructor(options: AwsClientOptions) {
    this.url = new URL(options.endpoint.replace(/\/+$/, ''));
    this.#basePath = this.url.pathname === '/' ? '' : this.url.pathname;
    this.#signer = new SigV4Signer(options.region, options.service, credentialsProvider(options.credentials));
    this.#pool = new Http1Pool({
      url: this.url,
      maxSockets: options.maxSockets ?? 50,
      pipeline: options.pipeline,
    });
    this.#timeoutMs = options.timeoutMs;
    this.#maxAttempts = options.maxAttempts ?? 3;
  }

  async request(
    req: AwsRequest,
    isRetryable: (res: AwsResponse) => boolean = retryableAnswer,
  ): Promise<AwsResponse> {
    const path = this.#basePath + req.path;
    const query = canonicalQuery(req.query);
    for (let attempt = 1; ; attempt++) {
      req.signal?.throwIfAborted();
      let answer: AwsResponse;
      try {
        const headers = await this.#signer.sign({
          method: req.method,
          host: this.url.host,
          path,
          query: req.query,
          headers: req.headers,
          body: req.body,
        });
        const trace = traceHeader();
        if (trace) headers['x-amzn-trace-id'] = trace;
        answer = await this.#send(req.method, query ? `${path}?${query}` : path, headers, req);
      } catch (error) {
        if (
          attempt >= this.#maxAttempts ||
          req.signal?.aborted ||
          !(error instanceof Error) ||
          !NETWORK_ERROR.test(error.message)
        )
          throw error;
        await sleep(backoff(attempt, BASE_DELAY_MS), req.signal);
        continue;
      }
      if (attempt >= this.#maxAttempts || !isRetryable(answer)) {
        answer.attempts = attempt;
        return answer;
      }
      const throttled = answer.status === 429 || THROTTLING.has(errorType(answer));
      await sleep(backoff(attempt, throttled ? THROTTLING_BASE_DELAY_MS : BASE_DELAY_MS), req.signal);
    }
  }

  destroy(): void {
    this.#pool.destroy();
  }

  #send(
    method: string,
    path: string,
    headers: Record<string, string>,
    { body, signal }: AwsRequest,
  ): Promise<AwsResponse> {
    // A timed-out request is not retried: it may have been carried out (an ADD applied twice).
    return this.#pool.request({
      method,
      path,
      headers,
      body,
      signal,
      timeoutMs: this.#timeoutMs,
    });
  }
}

/**
 * In a Lambda, the invocation's X-Ray trace header (`_X_AMZN_TRACE_ID`, set per invocation), sent unsigned
 * on every request as the SDK's recursion-detection middleware sends it: with active tracing, what the
 * request sets off (an SQS batch, an asynchronous Invoke) joins the same trace.
 */
function traceHeader(): string | undefined {
  if (!process.env.AWS_LAMBDA_FUNCTION_NAME) return undefined;
  return process.env._X_AMZN_TRACE_ID || undefined;
}

/** Throttled or a transient server error: the SDK's standard mode tries again. */
export function retryableAnswer(res: AwsResponse): boolean {
  return res.status === 429 || TRANSIENT_STATUS.has(res.status) || THROTTLING.has(errorType(res));
}

/**
 * The error type of an answer: `x-amzn-errortype`, else the JSON body's `__type` (after any `#`). `parsed`:
 * the body, when the caller has parsed it already.
 */
function errorType(res: AwsResponse, parsed?: Record<string, unknown>): string {
  if (res.status < 300) return ''; // before any parse: every answer passes here (retryableAnswer)
  const header = res.headers['x-amzn-errortype'];
  if (typeof header === 'string' && header) return header.split(':')[0]!;
  const type = (parsed ?? parsedBody(res))?.__type;
  return typeof type === 'string' ? type.slice(type.lastIndexOf('#') + 1) : '';
}

/** The AwsServiceError an error answer stands for. */
export function errorFromResponse(res: AwsResponse): AwsServiceError {
  const parsed = parsedBody(res);
  const m = parsed?.message ?? parsed?.Message;
  const requestId = res.headers['x-amzn-requestid'];
  return new AwsServiceError(
    errorType(res, parsed) || (res.status >= 500 ? 'InternalServerError' : 'UnknownError'),
    typeof m === 'string' ? m : `HTTP ${res.status}`,
    res.status >= 500 ? 'server' : 'client',
    {
      httpStatusCode: res.status,
      ...(typeof requestId === 'string' ? { requestId } : {}),
      ...(res.attempts ? { attempts: res.attempts } : {}),
    },
  );
}

function parsedBody(res: AwsResponse): Record<string, unknown> | undefined {
  if (res.body.length === 0) return undefined;
  try {
    const value: unknown = JSON.parse(res.body.toString('utf8'));
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const backoff = (attempt: number, base: number) =>
  Math.floor(Math.random() * Math.min(MAX_DELAY_MS, base * 2 ** attempt));

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
