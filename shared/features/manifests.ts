import type { NamespaceDefinition, userNamespace } from '../core/channels';
import type { FeatureManifest } from '../core/feature';
import type { SessionFrameType } from '../core/session/manifest';
import { adminManifest } from './admin/manifest';
import { channelsManifest } from './channels/manifest';
import { chatManifest } from './chat/manifest';
import { countersManifest } from './counters/manifest';
import { iotManifest } from './iot/manifest';
import { liveStatsManifest } from './live-stats/manifest';
import { notificationsManifest } from './notifications/manifest';
import { orgsManifest } from './orgs/manifest';
import { publishManifest } from './publish/manifest';
import { roomsManifest } from './rooms/manifest';

/**
 * THE registry of features: one line per feature folder. Pure data (each manifest is), so the route table
 * (shared/app/routes.ts) and infra/ read it without loading any handler, zod or the AWS SDK. A feature's
 * code is listed beside it in ./index.ts, and the compiler asks for it there.
 *
 * The order matters in one place: a frame without a `type` goes to the first feature that knows one of
 * its fields.
 */
export const manifests = {
  rooms: roomsManifest,
  counters: countersManifest,
  chat: chatManifest,
  iot: iotManifest,
  orgs: orgsManifest,
  notifications: notificationsManifest,
  'live-stats': liveStatsManifest,
  channels: channelsManifest,
  publish: publishManifest,
  admin: adminManifest,
} as const;

export type FeatureName = keyof typeof manifests;
type Manifest = (typeof manifests)[FeatureName];

/** Every namespace there is: the protocol's own `user`, and each feature's. */
export type NamespaceName = typeof userNamespace.name | Manifest['namespaces'][number]['name'];

/** Every frame `type` a client may send: the session's and each feature's. */
export type FrameType = SessionFrameType | Manifest['frames'][number];

const all: readonly FeatureManifest[] = Object.values(manifests);

export const featureNamespaces: readonly NamespaceDefinition[] = all.flatMap((m) => m.namespaces);

/** The frame types the features handle, in registry order (the session's are in core/session/manifest.ts). */
export const featureFrameTypes = all.flatMap((m) => m.frames) as readonly Manifest['frames'][number][];
