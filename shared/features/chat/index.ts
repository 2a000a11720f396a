import { defineFeature } from '../../core/feature';
import { chatAccess } from './chats';
import { type ChatFrameDeps, chatMessage } from './frames';
import { chatManifest } from './manifest';

/** Private chats: `message` / `{content}` frames, and who the participants of a `chat:` channel are. */
export const chat = defineFeature(chatManifest, {
  frames: (deps: ChatFrameDeps) => {
    const message = chatMessage(deps);
    return { typed: { message }, typeless: { content: message } };
  },
  participants: (deps: Pick<ChatFrameDeps, 'chats'>) => ({ chat: chatAccess(deps.chats).isParticipant }),
});
