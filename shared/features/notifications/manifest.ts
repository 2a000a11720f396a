import type { FeatureManifest } from '../../core/feature';

/** Notifications go to `user:{id}`, the protocol's own namespace (core/channels.ts): none of their own. */
export const notificationsManifest = {
  name: 'notifications',
  namespaces: [],
  frames: [],
  typeless: [],
} as const satisfies FeatureManifest;
