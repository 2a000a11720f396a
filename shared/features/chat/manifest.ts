import type { NamespaceDefinition } from '../../core/channels';
import type { FeatureManifest } from '../../core/feature';

/** `chat:{id}` (seed 003): private chats; only participants subscribe and send; every message is kept. */
export const chat = {
  name: 'chat',
  naming: 'required',
  audience: 'participants',
  clientPublish: true,
  publishRequiresSubscription: false,
  history: { keep: null, ttlSeconds: null },
  // A private chat's few participants: one partition.
  subscriberShards: 1,
} as const satisfies NamespaceDefinition;

export const chatManifest = {
  name: 'chat',
  namespaces: [chat],
  frames: ['message'],
  typeless: ['content'],
} as const satisfies FeatureManifest;
