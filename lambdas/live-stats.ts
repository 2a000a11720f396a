import { type LiveRunResult, runLiveStats } from '../shared/features/live-stats/run';
import { getDeps } from '../shared/runtime';

/** The part of Lambda's context object a run needs. */
export interface RunContext {
  getRemainingTimeInMillis(): number;
}

/**
 * The live-stats Lambda: started by the every-minute schedule, and at once by POST /v1/live-push
 * (asynchronous Invoke). Either way it reads the config, not the event, and pushes for a minute.
 */
export async function handler(_event: unknown, context?: RunContext): Promise<LiveRunResult> {
  const deps = getDeps();
  return runLiveStats(deps, {
    ...(context ? { remainingTimeMs: () => context.getRemainingTimeInMillis() } : {}),
  });
}
