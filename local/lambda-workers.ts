import { Worker } from 'node:worker_threads';
import type { Env } from '../shared/app/config';
import type { LambdaName } from '../shared/app/routes';
import type { Handler, LocalLambdaContext } from './handlers';
import { errorText, type LocalLog } from './log';

/**
 * Runs the handlers in a pool of worker threads (node:worker_threads), beside the thread that emulates API
 * Gateway, the way Lambda runs invocations in execution environments of their own: the emulator (sockets,
 * SigV4 checks, the Management API) and the handlers (DynamoDB, signing, posting) then use a core each.
 * Each worker imports every handler module and builds its own runtime from the stack's environment, as a
 * container does from process.env; an invocation goes to the worker with the fewest under way. The invoker
 * (handlers.ts) stays in the stack's thread: the concurrency bound, the timeouts, the observers and the
 * metrics are the same with or without workers.
 */
export interface LambdaWorkersOptions {
  /** Worker threads, at least 1. */
  count: number;
  /** The handlers' environment (env.ts): the same for every worker. */
  env: Readonly<Env>;
  names: readonly LambdaName[];
  /** Each EMF document the handlers wrote (local/metrics.ts records it). */
  metricsSink: (document: string) => void;
  log: LocalLog;
}

export interface LambdaWorkers {
  /** One handler per Lambda: each call is an invocation in one of the workers. */
  handlers: Map<LambdaName, Handler>;
  /** Every invocation's remaining time drops to 0 (the stack is stopping). */
  stopping(): void;
  /** Ends the workers; invocations still running there fail. */
  close(): Promise<void>;
}

/** What crosses between the threads (structured clone): data only. */
export interface WorkerData {
  env: Readonly<Env>;
  names: readonly LambdaName[];
}
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}
export type ToWorker =
  | {
      kind: 'invoke';
      id: number;
      lambda: LambdaName;
      event: unknown;
      requestId: string;
      memoryLimitInMB: string;
      /** Date.now() at the Lambda's timeout: the clock is the process's, the same in every thread. */
      deadline: number;
    }
  | { kind: 'stopping' };
export type FromWorker =
  | { kind: 'ready' }
  | { kind: 'failed'; error: SerializedError }
  | { kind: 'metrics'; document: string }
  | { kind: 'returned'; id: number; result: unknown }
  | { kind: 'threw'; id: number; error: SerializedError };

export const serializeError = (error: unknown): SerializedError =>
  error instanceof Error
    ? { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) }
    : { name: 'Error', message: String(error) };

/** The error a handler threw in its worker, with its name and message (what the emulator answers with). */
export function deserializeError(e: SerializedError): Error {
  const error = new Error(e.message);
  error.name = e.name;
  if (e.stack) error.stack = e.stack;
  return error;
}

const ENTRY = new URL('./lambda-worker.mjs', import.meta.url);

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
}

export async function startLambdaWorkers(options: LambdaWorkersOptions): Promise<LambdaWorkers> {
  const { count, env, names, metricsSink, log } = options;
  const data: WorkerData = { env, names };
  let nextId = 0;
  let closing = false;
  let stopping = false;

  // A worker that crashed (an exception no invocation caught) fails what it was running and is replaced,
  // as Lambda replaces an execution environment whose runtime exited.
  const spawn = (): { slot: Slot; ready: Promise<void> } => {
    const worker = new Worker(ENTRY, { workerData: data });
    const slot: Slot = { worker, pending: new Map() };
    const fail = (error: Error) => {
      for (const p of slot.pending.values()) p.reject(error);
      slot.pending.clear();
    };
    const ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (m: FromWorker) => {
        switch (m.kind) {
          case 'ready':
            return resolve();
          case 'failed':
            return reject(deserializeError(m.error));
          case 'metrics':
            return metricsSink(m.document);
          case 'returned':
          case 'threw': {
            const p = slot.pending.get(m.id);
            slot.pending.delete(m.id);
            if (m.kind === 'returned') p?.resolve(m.result);
            else p?.reject(deserializeError(m.error));
            return;
          }
        }
      });
      worker.on('error', (error) => {
        reject(error);
        if (closing || !slots.includes(slot)) return;
        log.error(`a Lambda worker crashed, starting another: ${errorText(error)}`);
        fail(new Error(`the Lambda's execution environment crashed: ${errorText(error)}`));
        replace(slot);
      });
      worker.on('exit', (code) => {
        reject(new Error(`a Lambda worker exited (${code}) while starting`));
        fail(new Error(`the Lambda's execution environment exited (${code})`));
        // Exited without an error (process.exit in a handler): replaced too, unless an error did already.
        if (closing || !slots.includes(slot)) return;
        log.error(`a Lambda worker exited (${code}), starting another`);
        replace(slot);
      });
    });
    return { slot, ready };
  };

  const slots: Slot[] = [];
  const replace = (dead: Slot) => {
    // Not one of the running slots (one that failed while the workers were starting): nothing to replace.
    if (!slots.includes(dead)) return;
    const { slot, ready } = spawn();
    if (stopping) slot.worker.postMessage({ kind: 'stopping' } satisfies ToWorker);
    slots[slots.indexOf(dead)] = slot;
    ready.catch((error: unknown) => log.error(`a replacement Lambda worker failed: ${errorText(error)}`));
  };
  const started = Array.from({ length: count }, spawn);
  slots.push(...started.map((s) => s.slot));
  try {
    await Promise.all(started.map((s) => s.ready));
  } catch (error) {
    closing = true;
    await Promise.all(slots.map((s) => s.worker.terminate()));
    throw error;
  }

  const leastBusy = (): Slot => slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));

  const handlerOf =
    (lambda: LambdaName): Handler =>
    (event: unknown, context: LocalLambdaContext) =>
      new Promise((resolve, reject) => {
        const slot = leastBusy();
        const id = nextId++;
        const message: ToWorker = {
          kind: 'invoke',
          id,
          lambda,
          event,
          requestId: context.awsRequestId,
          memoryLimitInMB: context.memoryLimitInMB,
          deadline: Date.now() + context.getRemainingTimeInMillis(),
        };
        slot.pending.set(id, { resolve, reject });
        try {
          slot.worker.postMessage(message);
        } catch (error) {
          // An event that cannot be cloned: the invocation fails here, before any handler runs.
          slot.pending.delete(id);
          reject(error);
        }
      });

  return {
    handlers: new Map(names.map((name) => [name, handlerOf(name)])),
    stopping() {
      stopping = true;
      for (const s of slots) s.worker.postMessage({ kind: 'stopping' } satisfies ToWorker);
    },
    async close() {
      closing = true;
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
