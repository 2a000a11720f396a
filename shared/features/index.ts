import { coreFrames } from '../domain/core-frames';
import type { FrameHandler } from '../domain/frames';
import type { ChannelHookRegistry } from '../domain/hooks';
import { chatFrames } from './chat/frames';
import { counterAction, counterHooks } from './counters/counter';
import { iotFrames } from './iot/frames';
import { chatMessage } from './rooms/chat-message';
import { presenceHooks } from './rooms/presence';

/**
 * The features composed: every client frame the message handler understands (the core frames, then each
 * feature's), and what each namespace does when connections join or leave it. A feature lives in its own
 * folder here (its frames, hooks, HTTP operations and, in routes.ts, its route-table entries) and is
 * added to these lists in one line each.
 */
export const frameHandlers: readonly FrameHandler[] = [
  ...coreFrames,
  chatMessage,
  counterAction,
  ...chatFrames,
  ...iotFrames,
];

export const channelHooks: ChannelHookRegistry = {
  room: presenceHooks,
  counter: counterHooks,
};
