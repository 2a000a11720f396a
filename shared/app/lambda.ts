import type { Config, Env } from './config';

/** What the wrapper uses of any runtime: the metrics its handlers recorded, when it has metrics. */
interface LambdaRuntime {
  readonly config: Config;
  readonly metrics?: { flush(): Promise<void> };
}

/**
 * A Lambda's exported `handler`: the handler `make` makes from a runtime that `create` builds from
 * process.env on the first event, kept for the container's life (clients, key sets and caches outlive
 * invocations). `create` is the narrowest runtime factory that has what `make` uses (./authorizer.ts,
 * ./base-runtime.ts, ./table-runtime.ts, ./runtime.ts): the Lambda module imports it, so its bundle holds
 * that runtime's SDK clients and no other. Importing a handler module builds nothing; a configuration
 * error surfaces at the first invocation, in that invocation's logs. The metrics the invocation recorded
 * are written at its end, failed or not, as Powertools' `logMetrics` does: one container runs one
 * invocation at a time, so they are all its own (the authorizer's runtime records none).
 */
export function lambdaHandler<Rt extends LambdaRuntime, E, R, C = unknown>(
  create: (env: Env) => Rt,
  make: (runtime: Rt) => (event: E, context: C) => Promise<R>,
): (event: E, context: C) => Promise<R> {
  let made: { runtime: Rt; handler: (event: E, context: C) => Promise<R> } | undefined;
  return async (event, context) => {
    if (!made) {
      const runtime = create(process.env);
      made = { runtime, handler: make(runtime) };
    }
    try {
      return await made.handler(event, context);
    } finally {
      await made.runtime.metrics?.flush();
    }
  };
}
