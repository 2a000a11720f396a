import type { FeatureManifest } from '../../core/feature';

/** Any channel's history and presence over HTTP: every namespace's, none of its own. */
export const channelsManifest = {
  name: 'channels',
  namespaces: [],
  frames: [],
  typeless: [],
} as const satisfies FeatureManifest;
