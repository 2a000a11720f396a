import { parentPort, workerData } from 'node:worker_threads';
import { createPublisherRuntime } from '../shared/app/publisher-runtime';
import { type Handler, type LocalLambdaContext, loadHandlerModules, makeHandlers } from './handlers';
import { type FromWorker, serializeError, type ToWorker, type WorkerData } from './lambda-workers';

/**
 * One Lambda worker thread: what an execution environment is in AWS, for every function of the stack. It
 * imports the handler modules, builds its own runtime from the stack's environment (as a container builds
 * one from process.env), and runs the invocations the stack's thread sends it, several at once. Their
 * metrics documents go back to the stack (local/metrics.ts) before their answer, as a Lambda's handler
 * writes them before it returns.
 */
const port = parentPort;
if (!port) throw new Error('lambda-worker.ts runs in a worker thread (lambda-workers.ts starts it)');
const { env, names } = workerData as WorkerData;
const post = (message: FromWorker) => port.postMessage(message);

let stopping = false;

try {
  const runtime = createPublisherRuntime(env, {
    metricsSink: (document) => post({ kind: 'metrics', document }),
  });
  const handlers = makeHandlers(await loadHandlerModules(names), runtime);

  const invoke = async (m: Extract<ToWorker, { kind: 'invoke' }>): Promise<void> => {
    const handler: Handler | undefined = handlers.get(m.lambda);
    const context: LocalLambdaContext = {
      functionName: m.lambda,
      functionVersion: '$LATEST',
      awsRequestId: m.requestId,
      memoryLimitInMB: m.memoryLimitInMB,
      getRemainingTimeInMillis: () => (stopping ? 0 : Math.max(0, m.deadline - Date.now())),
    };
    let answer: FromWorker;
    try {
      if (!handler) throw new Error(`Lambda ${m.lambda} is not mounted`);
      answer = { kind: 'returned', id: m.id, result: await handler(m.event, context) };
    } catch (error) {
      answer = { kind: 'threw', id: m.id, error: serializeError(error) };
    }
    // Before the answer: the stack has them when the invoker sees the invocation end.
    await runtime.metrics
      .flush()
      .catch((error: unknown) =>
        console.error(
          `writing ${m.lambda}'s metrics failed: ${error instanceof Error ? error.message : error}`,
        ),
      );
    try {
      post(answer);
    } catch (error) {
      // A result that cannot cross to the stack's thread (a function, a socket…): the invocation fails, as
      // a Lambda whose result cannot be serialized to JSON does.
      post({ kind: 'threw', id: m.id, error: serializeError(error) });
    }
  };

  port.on('message', (m: ToWorker) => {
    if (m.kind === 'stopping') stopping = true;
    else void invoke(m);
  });
  post({ kind: 'ready' });
} catch (error) {
  post({ kind: 'failed', error: serializeError(error) });
}
