import type { Channel, NamespaceDefinition } from './channels';
import type { FrameHandler } from './session/frames';
import type { ChannelHooks } from './session/hooks';

/**
 * What a feature is. Its folder under shared/features/ holds a manifest (pure data: its namespaces, the
 * frame types it handles) and its code, which the feature hands to `defineFeature`. The compiler holds the
 * two together: a frame type declared without a handler, or a handler for a frame the manifest does not
 * declare (and the route table therefore does not route), does not compile; nor do hooks for a namespace
 * that is not the feature's.
 */
export interface FeatureManifest {
  readonly name: string;
  readonly namespaces: readonly NamespaceDefinition[];
  /** Frame `type`s the feature handles: the route table routes each to the message handler. */
  readonly frames: readonly string[];
  /** Fields that tell the feature's frames without a `type` apart (they arrive on `$default`). */
  readonly typeless: readonly string[];
}

/** For a namespace with audience `participants`: is this user one of the channel's participants? */
export type ParticipantCheck = (channel: Channel, userId: string) => Promise<boolean>;

type NamespaceOf<M extends FeatureManifest> = M['namespaces'][number]['name'];
type Exactly<K extends string, V, F> = F & { readonly [T in K]: V } & {
  readonly [T in Exclude<keyof F, K>]: never;
};

/** The frame handlers of a manifest: one per declared type and typeless field, and no other. */
export interface FeatureFrames<M extends FeatureManifest, T, U> {
  typed: Exactly<M['frames'][number], FrameHandler, T>;
  typeless: Exactly<M['typeless'][number], FrameHandler, U>;
}

type PerNamespace<M extends FeatureManifest, V, F> = F & { readonly [N in NamespaceOf<M>]?: V } & {
  readonly [N in Exclude<keyof F, NamespaceOf<M>>]: never;
};

/**
 * The feature's code, each part made from `D`, the slice of the runtime the feature uses (shared/app/
 * features.ts makes them once per runtime). `hooks` and `participants` are made before the runtime has
 * hooks (they must not need them); `frames` is required exactly when the manifest declares frames.
 * `participants` takes its own slice `A`: functions that only read (GET history) build the channel access
 * from a runtime without a Management API (shared/app/table-runtime.ts).
 */
export type FeatureCode<
  M extends FeatureManifest,
  D,
  T = unknown,
  U = unknown,
  H = unknown,
  P = unknown,
  A = unknown,
> = {
  readonly hooks?: (deps: D) => PerNamespace<M, ChannelHooks, H>;
  readonly participants?: (deps: A) => PerNamespace<M, ParticipantCheck, P>;
} & ([M['frames'][number] | M['typeless'][number]] extends [never]
  ? { readonly frames?: undefined }
  : { readonly frames: (deps: D) => FeatureFrames<M, T, U> });

export type Feature<M extends FeatureManifest, D, A = unknown> = {
  readonly manifest: M;
  readonly hooks?: (deps: D) => Readonly<Record<string, ChannelHooks | undefined>>;
  readonly participants?: (deps: A) => Readonly<Record<string, ParticipantCheck | undefined>>;
  readonly frames?: (deps: D) => {
    typed: Readonly<Record<string, FrameHandler>>;
    typeless: Readonly<Record<string, FrameHandler>>;
  };
};

export function defineFeature<M extends FeatureManifest, D, T, U, H, P, A = unknown>(
  manifest: M,
  code: FeatureCode<M, D, T, U, H, P, A>,
): Feature<M, D, A> {
  return { manifest, ...(code as Omit<Feature<M, D, A>, 'manifest'>) };
}
