import type { NamespaceDefinition } from '../../core/channels';
import type { FeatureManifest } from '../../core/feature';

/** `room:{name}` (seeds 000 and 001): anyone may join, talk with `chat_message` or `publish`; last 100, 24 h. */
export const room = {
  name: 'room',
  naming: 'required',
  audience: 'anyone',
  clientPublish: true,
  publishRequiresSubscription: true,
  history: { keep: 100, ttlSeconds: 24 * 60 * 60 },
  // Rooms are where bursts of thousands join at once (issue 10): eight partitions take their joins.
  subscriberShards: 8,
} as const satisfies NamespaceDefinition;

export const roomsManifest = {
  name: 'rooms',
  namespaces: [room],
  frames: ['chat_message'],
  typeless: [],
} as const satisfies FeatureManifest;
