import { defineFeature } from '../../core/feature';
import { chatMessage } from './chat-message';
import type { RoomsDeps } from './deps';
import { roomsManifest } from './manifest';
import { presenceHooks } from './presence';

/** Rooms: `chat_message`, presence notices on join and leave (the REST push is in push.ts). */
export const rooms = defineFeature(roomsManifest, {
  frames: (deps: RoomsDeps) => ({ typed: { chat_message: chatMessage(deps) }, typeless: {} }),
  hooks: (deps: RoomsDeps) => ({ room: presenceHooks(deps) }),
});
