import type { FeatureManifest } from '../../core/feature';

/** Server-to-server publishing (POST /v1/publish, and the server library): to any channel, none of its own. */
export const publishManifest = {
  name: 'publish',
  namespaces: [],
  frames: [],
  typeless: [],
} as const satisfies FeatureManifest;
