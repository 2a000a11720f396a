import { createRuntime, type Runtime } from './runtime';

/**
 * A Lambda's exported `handler`: the handler `make` makes from a runtime built from process.env on the
 * first event and kept for the container's life (clients, key sets and caches outlive invocations).
 * Importing a handler module builds nothing; a configuration error surfaces at the first invocation, in
 * that invocation's logs.
 */
export function lambdaHandler<E, R, C = unknown>(
  make: (runtime: Runtime) => (event: E, context: C) => Promise<R>,
): (event: E, context: C) => Promise<R> {
  let handler: ((event: E, context: C) => Promise<R>) | undefined;
  return async (event, context) => {
    handler ??= make(createRuntime(process.env));
    return handler(event, context);
  };
}
