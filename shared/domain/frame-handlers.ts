import { coreFrames } from './core-frames';
import type { FrameHandler } from './frames';

/** Every client frame the message handler understands: the core frames, then each feature's own. */
export const frameHandlers: readonly FrameHandler[] = [...coreFrames];
