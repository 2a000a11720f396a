import { defineFeature } from '../../core/feature';
import { type CountersDeps, counterAction, counterHooks } from './counter';
import { countersManifest } from './manifest';

/** Counters: `{action, value}` frames, the sync on join, the connection count on join and leave. */
export const counters = defineFeature(countersManifest, {
  frames: (deps: CountersDeps) => ({ typed: {}, typeless: { action: counterAction(deps) } }),
  hooks: (deps: CountersDeps) => ({ counter: counterHooks(deps) }),
});
