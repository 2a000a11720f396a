import { createRuntime, type Runtime } from './runtime';

/**
 * A Lambda's exported `handler`: the handler `make` makes from a runtime built from process.env on the
 * first event and kept for the container's life (clients, key sets and caches outlive invocations).
 * Importing a handler module builds nothing; a configuration error surfaces at the first invocation, in
 * that invocation's logs. The metrics the invocation recorded are written at its end, failed or not, as
 * Powertools' `logMetrics` does: one container runs one invocation at a time, so they are all its own.
 */
export function lambdaHandler<E, R, C = unknown>(
  make: (runtime: Runtime) => (event: E, context: C) => Promise<R>,
): (event: E, context: C) => Promise<R> {
  let made: { runtime: Runtime; handler: (event: E, context: C) => Promise<R> } | undefined;
  return async (event, context) => {
    if (!made) {
      const runtime = createRuntime(process.env);
      made = { runtime, handler: make(runtime) };
    }
    try {
      return await made.handler(event, context);
    } finally {
      made.runtime.metrics.flush();
    }
  };
}
