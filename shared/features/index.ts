import type { Feature } from '../core/feature';
import { chat } from './chat';
import { counters } from './counters';
import { iot } from './iot';
import type { FeatureName, manifests } from './manifests';
import { rooms } from './rooms';

type ManifestOf<K extends FeatureName> = (typeof manifests)[K];

/** The features whose manifest declares frames: they must have code here. */
type NeedsCode = {
  [K in FeatureName]: [ManifestOf<K>['frames'][number] | ManifestOf<K>['typeless'][number]] extends [never]
    ? never
    : K;
}[FeatureName];

/**
 * The code of the features of ./manifests.ts that handle frames or act on joins and leaves (hooks,
 * participants). Features that are HTTP operations only are not listed: their Lambda modules take the
 * operations from the feature folder. The compiler names a feature whose manifest declares frames but
 * that is missing here, and a key that is not a feature of the registry.
 */
export const features = { rooms, counters, chat, iot } satisfies {
  readonly [K in NeedsCode]: Feature<ManifestOf<K>, never, never>;
} & { readonly [K in FeatureName]?: Feature<ManifestOf<K>, never, never> };
