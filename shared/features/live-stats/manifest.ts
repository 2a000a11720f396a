import type { NamespaceDefinition } from '../../core/channels';
import type { FeatureManifest } from '../../core/feature';

/** `live` and `live:{name}` (seed 000's live push): `live_stats` while the push is on. */
export const live = {
  name: 'live',
  naming: 'optional',
  audience: 'anyone',
  clientPublish: false,
  publishRequiresSubscription: false,
  history: null,
} as const satisfies NamespaceDefinition;

export const liveStatsManifest = {
  name: 'live-stats',
  namespaces: [live],
  frames: [],
  typeless: [],
} as const satisfies FeatureManifest;
