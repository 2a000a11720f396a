import type { Env } from './config';

/**
 * A Lambda's exported `handler`: the handler `make` makes from a runtime that `create` builds from
 * process.env on the first event, kept for the container's life (clients, key sets and caches outlive
 * invocations). `create` is the narrowest runtime factory that has what `make` uses (./authorizer.ts,
 * ./base-runtime.ts, ./table-runtime.ts, ./runtime.ts): the Lambda module imports it, so its bundle holds
 * that runtime's SDK clients and no other. Importing a handler module builds nothing; a configuration
 * error surfaces at the first invocation, in that invocation's logs.
 */
export function lambdaHandler<Rt, E, R, C = unknown>(
  create: (env: Env) => Rt,
  make: (runtime: Rt) => (event: E, context: C) => Promise<R>,
): (event: E, context: C) => Promise<R> {
  let handler: ((event: E, context: C) => Promise<R>) | undefined;
  return async (event, context) => {
    handler ??= make(create(process.env));
    return handler(event, context);
  };
}
