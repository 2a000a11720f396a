import type { NamespaceDefinition } from '../../core/channels';
import type { FeatureManifest } from '../../core/feature';

/** `org:{id}` (seed 004): the organisation's members only; last 100 events for 7 days. */
export const org = {
  name: 'org',
  naming: 'required',
  audience: 'members',
  clientPublish: false,
  publishRequiresSubscription: false,
  history: { keep: 100, ttlSeconds: 7 * 24 * 60 * 60 },
} as const satisfies NamespaceDefinition;

export const orgsManifest = {
  name: 'orgs',
  namespaces: [org],
  frames: [],
  typeless: [],
} as const satisfies FeatureManifest;
