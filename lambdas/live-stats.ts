import { lambdaHandler } from '../shared/app/lambda';
import { createPublisherRuntime } from '../shared/app/publisher-runtime';
import type { Runtime } from '../shared/app/runtime';
import { type LiveRunResult, runLiveStats } from '../shared/features/live-stats/run';

/** The part of Lambda's context object a run needs. */
export interface RunContext {
  getRemainingTimeInMillis(): number;
}

/**
 * The live-stats Lambda: started by the every-minute schedule, and at once by POST /v1/live-push
 * (asynchronous Invoke). Either way it reads the config, not the event, and pushes for a minute.
 */
export const makeHandler =
  (rt: Runtime) =>
  async (_event: unknown, context?: RunContext): Promise<LiveRunResult> =>
    runLiveStats(rt, context ? { remainingTimeMs: () => context.getRemainingTimeInMillis() } : {});

export const handler = lambdaHandler(createPublisherRuntime, makeHandler);
