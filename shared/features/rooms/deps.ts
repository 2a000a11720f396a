import type { PublishDeps } from '../../core/publish';
import type { ResolveDeps } from '../../core/session/resolve-channel';

/** What the rooms feature uses of the runtime. */
export type RoomsDeps = PublishDeps &
  ResolveDeps & { config: { limits: { presenceAnnounceMax: number; maxDataBytes: number } } };
