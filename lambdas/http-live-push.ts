import { LambdaLiveStatsTrigger } from '../shared/adapters/lambda';
import type { Deps } from '../shared/domain/context';
import {
  livePushStatusOperation,
  startLivePushOperation,
  stopLivePushOperation,
} from '../shared/features/live-stats/operations';
import type { LiveStatsTrigger } from '../shared/features/live-stats/store';
import { httpHandler } from '../shared/http';
import { sdkCredentials } from '../shared/runtime';

// Built here, not in the shared runtime, so that only this Lambda bundles the Lambda client (~80 KB);
// one per configuration, as the local stack runs several stacks in one process.
const triggers = new WeakMap<Deps['config'], LiveStatsTrigger>();

function liveStatsTrigger(deps: Deps): LiveStatsTrigger {
  let trigger = triggers.get(deps.config);
  if (!trigger) {
    trigger = new LambdaLiveStatsTrigger({
      functionName: deps.config.functions.liveStats,
      region: deps.config.region,
      endpoint: deps.config.functions.endpoint,
      credentials: sdkCredentials(),
      log: deps.log,
    });
    triggers.set(deps.config, trigger);
  }
  return trigger;
}

export const handler = httpHandler('http-live-push', {
  status: livePushStatusOperation,
  start: startLivePushOperation(liveStatsTrigger),
  stop: stopLivePushOperation,
});
