import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type HttpRoute,
  httpRouteKey,
  type LambdaName,
  lambdas,
  type QueueTrigger,
  type Schedule,
  type WebSocketRoute,
} from '../shared/app/routes';
import type { Runtime } from '../shared/app/runtime';
import type { LocalLog } from './log';

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
  queues: readonly QueueTrigger[] = [],
): void {
  const problems = [
    ...duplicates(ws.map((r) => r.routeKey)).map((k) => `WebSocket route ${k}`),
    ...duplicates(http.map((r) => httpRouteKey(r))).map((k) => `HTTP route ${k}`),
    ...duplicates(schedules.map((s) => s.name)).map((k) => `schedule ${k}`),
    ...duplicates(queues.map((q) => q.name)).map((k) => `queue ${k}`),
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

/**
 * Who waits for an invocation: a client (`'request'`: the handshake's authorizer and `$connect`, a frame's
 * route, an HTTP route, a RequestResponse Invoke) or nobody (`'background'`: an Event Invoke, the scheduled
 * rule, a queue's poller). A slot that frees goes to a waiting request first.
 */
export type InvocationPriority = 'request' | 'background';

export interface Invoker {
  invoke(lambda: LambdaName, event: unknown, priority?: InvocationPriority): Promise<unknown>;
  /**
   * Settles once every invocation under way (or waiting for a slot) has finished, so nothing writes after
   * DynamoDB stops. Their remaining time drops to 0 first, as when a container goes away: a handler that
   * watches it ends early.
   */
  drain(): Promise<void>;
}

export interface InvokerOptions {
  /**
   * Invocations running at once, all Lambdas together, as an account's concurrency limits them in AWS.
   * Beyond it an invocation waits for a slot, and its timeout starts when it starts running (Lambda
   * would throttle it instead: local/README.md says why the local stack queues, and why its default is
   * lower than AWS's 1,000).
   */
  concurrency: number;
  observe?: InvocationObserver;
  /**
   * Called as each invocation ends, however it ended, with how long it ran (from its start, not from its
   * wait for a slot): the stack writes the invocation's metrics then, as a Lambda's handler does
   * (shared/app/lambda.ts), and times it (Lambda's Duration).
   */
  ended?: (lambda: LambdaName, ms: number) => void;
  /**
   * Called once as `drain` begins, when every remaining time drops to 0: handlers running elsewhere (the
   * worker threads of lambda-workers.ts) are told there.
   */
  stopping?: () => void;
  log: LocalLog;
}

/** How long waiting invocations are counted before one warning reports them. */
const THROTTLE_REPORT_MS = 1_000;

export function createInvoker(handlers: ReadonlyMap<LambdaName, Handler>, options: InvokerOptions): Invoker {
  const { concurrency, observe = {}, ended, log } = options;
  const inflight = new Set<Promise<unknown>>();
  let stopping = false;
  let running = 0;
  /**
   * Invocations waiting for a slot, first come first served within each priority; a finishing one hands
   * its slot over, to a request before any background invocation. In AWS a synchronous invocation never
   * queues behind asynchronous ones: those wait in Lambda's own queue (and a queue's pollers within their
   * maximum concurrency), so a burst of after-connect jobs does not hold the next handshakes back.
   */
  const waiting: Record<InvocationPriority, (() => void)[]> = { request: [], background: [] };
  let waited = 0;
  let report: NodeJS.Timeout | undefined;

  const release = () => {
    const next = waiting.request.shift() ?? waiting.background.shift();
    if (next) next();
    else running--;
  };

  const noteWait = () => {
    waited++;
    if (report) return;
    report = setTimeout(() => {
      log.info(
        `${waited} invocations waited for one of the ${concurrency} concurrent executions (lambdaConcurrency); ` +
          'past its account concurrency (1,000 by default) Lambda throttles instead (429)',
      );
      waited = 0;
      report = undefined;
    }, THROTTLE_REPORT_MS).unref();
  };

  async function run(lambda: LambdaName, event: unknown): Promise<unknown> {
    try {
      return await execute(lambda, event);
    } finally {
      release();
    }
  }

  // The Lambda's clock starts here, when the invocation has a slot: time spent waiting for one is not
  // part of its timeout, as in AWS, where an invocation that gets no execution environment never starts.
  async function execute(lambda: LambdaName, event: unknown): Promise<unknown> {
    const handler = handlers.get(lambda);
    if (!handler) throw new Error(`Lambda ${lambda} is not mounted`);
    await observe.before?.(lambda, event);
    const started = performance.now();
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
    // Before the observers: what the invocation recorded is written when they see it end.
    const end = () => ended?.(lambda, performance.now() - started);
    try {
      const result = await Promise.race([(async () => handler(event, context))(), timeout]);
      end();
      observe.after?.(lambda, event, { result });
      return result;
    } catch (error) {
      end();
      observe.after?.(lambda, event, { error });
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    invoke(lambda, event, priority = 'request') {
      let p: Promise<unknown>;
      if (running < concurrency) {
        // Started synchronously: observers see the invocation with the frame or request that caused it.
        running++;
        p = run(lambda, event);
      } else {
        noteWait();
        p = new Promise<void>((start) => waiting[priority].push(start)).then(() => run(lambda, event));
      }
      inflight.add(p);
      const forget = () => inflight.delete(p);
      p.then(forget, forget);
      return p;
    },
    async drain() {
      if (!stopping) options.stopping?.();
      stopping = true;
      while (inflight.size > 0) await Promise.allSettled([...inflight]);
    },
  };
}
