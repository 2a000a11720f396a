import { inject } from 'vitest';
import type { TokenRequest } from '../../../local/dev-issuer';
import type { InvocationObserver } from '../../../local/handlers';
import {
  DYNAMODB_PIPELINE,
  type LocalStack,
  type LocalStackOptions,
  startLocalStack,
} from '../../../local/index';
import type { LambdaName } from '../../../shared/app/routes';

/**
 * The shared stack's URLs (global-setup.ts), a token from its dev issuer, and own stacks for tests that
 * need other options: same DynamoDB, same table, a free port, nothing on disk.
 */
export const shared = () => ({
  httpUrl: inject('httpUrl'),
  wsUrl: inject('wsUrl'),
  callbackUrl: inject('callbackUrl'),
  credentials: inject('credentials'),
});

/** A token from a running stack's `POST /.local/token`, as the console page and `npm run token` get one. */
export async function token(httpUrl: string, request: TokenRequest): Promise<string> {
  const res = await fetch(`${httpUrl}/.local/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  if (!res.ok) throw new Error(`token request failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

export function startTestStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  return startLocalStack({
    port: 0,
    memory: true,
    dynamodbEndpoint: inject('dynamodbEndpoint'),
    tableName: inject('tableName'),
    logLevel: 'silent',
    ...options,
    // global-setup's DynamoDB Local, pipelined as the one a stack starts itself is.
    env: { LOG_LEVEL: 'SILENT', DYNAMODB_PIPELINE: String(DYNAMODB_PIPELINE), ...options.env },
  });
}

export interface Invocation {
  lambda: LambdaName;
  event: unknown;
  result?: unknown;
  error?: unknown;
}

/**
 * Records the invocations of a stack: `started` as soon as a handler is called (synchronously with the
 * frame or request that caused it), `done` once it settled; `waitFor` resolves on the first done one
 * that matches.
 */
export function recorder() {
  const started: Invocation[] = [];
  const done: Invocation[] = [];
  const waiting: { match: (i: Invocation) => boolean; resolve: (i: Invocation) => void }[] = [];
  const observe: InvocationObserver = {
    before(lambda, event) {
      started.push({ lambda, event });
    },
    after(lambda, event, outcome) {
      const invocation = { lambda, event, ...outcome };
      done.push(invocation);
      for (const w of waiting.filter((w) => w.match(invocation))) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(invocation);
      }
    },
  };
  return {
    observe,
    started,
    done,
    of: (lambda: LambdaName) => done.filter((i) => i.lambda === lambda),
    waitFor(match: (i: Invocation) => boolean): Promise<Invocation> {
      const found = done.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiting.push({ match, resolve }));
    },
  };
}

/** The requestContext of a WebSocket event, for matching invocations. */
export const wsContext = (event: unknown) =>
  (event as { requestContext: { connectionId: string; routeKey: string } & Record<string, unknown> })
    .requestContext;

/** POST /v1/publish with a bearer token. */
export async function publish(httpUrl: string, bearer: string, body: Record<string, unknown>) {
  const res = await fetch(`${httpUrl}/v1/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}
