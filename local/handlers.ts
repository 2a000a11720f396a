import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type HttpRoute,
  httpRouteKey,
  type LambdaName,
  lambdas,
  type Schedule,
  type WebSocketRoute,
} from '../shared/app/routes';
import type { Runtime } from '../shared/app/runtime';

/**
 * Mounts the very modules the CDK stack deploys: each Lambda of the route table is its entry file's
 * `makeHandler`, imported as is and given the stack's runtime (one per stack, built from the stack's
 * environment), so that several local stacks in one process (tests) each have their own configuration.
 * In AWS the module's `handler` does the same with a runtime built from process.env.
 */
export type Handler = (event: unknown, context: LocalLambdaContext) => unknown;
export type MakeHandler = (runtime: Runtime) => Handler;

/** The parts of Lambda's context object the handlers may read. */
export interface LocalLambdaContext {
  functionName: string;
  functionVersion: string;
  awsRequestId: string;
  memoryLimitInMB: string;
  /** Until the Lambda's timeout; 0 once the local stack is stopping, so that long runs end. */
  getRemainingTimeInMillis(): number;
}

export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

export async function loadHandlerModules(names: Iterable<LambdaName>): Promise<Map<LambdaName, MakeHandler>> {
  const loaded = new Map<LambdaName, MakeHandler>();
  for (const name of new Set(names)) {
    const entry = lambdas[name].entry;
    const module: unknown = await import(pathToFileURL(resolve(PROJECT_ROOT, entry)).href);
    const make = (module as { makeHandler?: unknown }).makeHandler;
    if (typeof make !== 'function')
      throw new Error(`${entry} does not export a function named "makeHandler"`);
    loaded.set(name, make as MakeHandler);
  }
  return loaded;
}

/** Each Lambda's handler, made from the stack's runtime. */
export function makeHandlers(
  modules: ReadonlyMap<LambdaName, MakeHandler>,
  runtime: Runtime,
): Map<LambdaName, Handler> {
  return new Map([...modules].map(([name, make]) => [name, make(runtime)]));
}

/** The route table says each thing once; a duplicate would be a route that exists twice (or silently once). */
export function checkRouteTable(
  ws: readonly WebSocketRoute[],
  http: readonly HttpRoute[],
  schedules: readonly Schedule[],
): void {
  const problems = [
    ...duplicates(ws.map((r) => r.routeKey)).map((k) => `WebSocket route ${k}`),
    ...duplicates(http.map((r) => httpRouteKey(r))).map((k) => `HTTP route ${k}`),
    ...duplicates(schedules.map((s) => s.name)).map((k) => `schedule ${k}`),
  ];
  if (problems.length > 0) throw new Error(`The route table lists these twice: ${problems.join(', ')}`);
}

const duplicates = (keys: string[]): string[] => [...new Set(keys.filter((k, i) => keys.indexOf(k) !== i))];

/**
 * Watches every invocation: `before` may return a promise the handler waits for (tests hold `$connect`
 * this way), `after` sees how it ended. Test instrumentation; the CLI passes none.
 */
export interface InvocationObserver {
  before?(lambda: LambdaName, event: unknown): void | Promise<void>;
  after?(lambda: LambdaName, event: unknown, outcome: { result?: unknown; error?: unknown }): void;
}

/** Lambda stops a handler at its configured timeout; the caller sees a failed invocation. */
export class LambdaTimeoutError extends Error {
  override name = 'LambdaTimeoutError';
}

export interface Invoker {
  invoke(lambda: LambdaName, event: unknown): Promise<unknown>;
  /**
   * Settles once every invocation under way has finished, so nothing writes after DynamoDB stops. Their
   * remaining time drops to 0 first, as when a container goes away: a handler that watches it ends early.
   */
  drain(): Promise<void>;
}

export function createInvoker(
  handlers: ReadonlyMap<LambdaName, Handler>,
  observe: InvocationObserver = {},
): Invoker {
  const inflight = new Set<Promise<unknown>>();
  let stopping = false;

  async function run(lambda: LambdaName, event: unknown): Promise<unknown> {
    const handler = handlers.get(lambda);
    if (!handler) throw new Error(`Lambda ${lambda} is not mounted`);
    await observe.before?.(lambda, event);
    let timer: NodeJS.Timeout | undefined;
    const timeoutMs = lambdas[lambda].timeoutSeconds * 1000;
    const deadline = Date.now() + timeoutMs;
    const context: LocalLambdaContext = {
      functionName: lambda,
      functionVersion: '$LATEST',
      awsRequestId: randomUUID(),
      memoryLimitInMB: String(lambdas[lambda].memoryMb),
      getRemainingTimeInMillis: () => (stopping ? 0 : Math.max(0, deadline - Date.now())),
    };
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new LambdaTimeoutError(`${lambda} timed out after ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      timer.unref();
    });
    try {
      const result = await Promise.race([(async () => handler(event, context))(), timeout]);
      observe.after?.(lambda, event, { result });
      return result;
    } catch (error) {
      observe.after?.(lambda, event, { error });
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    invoke(lambda, event) {
      const p = run(lambda, event);
      inflight.add(p);
      const forget = () => inflight.delete(p);
      p.then(forget, forget);
      return p;
    },
    async drain() {
      stopping = true;
      while (inflight.size > 0) await Promise.allSettled([...inflight]);
    },
  };
}
