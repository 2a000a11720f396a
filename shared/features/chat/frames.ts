import * as z from 'zod/mini';
import { channelField, clientMessageId } from '../../core/protocol';
import { ackFrame } from '../../core/publish';
import { defineFrame, type FrameHandler, frameIdempotency } from '../../core/session/frames';
import { type ResolveDeps, resolveChannel } from '../../core/session/resolve-channel';
import { chat } from './manifest';
import { type ChatMessagesDeps, sendChatMessage } from './messages';

/**
 * A chat message from a client (PROTOCOL.md section 3): the seed's `{"content": …}` without a type, or
 * `{"type": "message", "content": …}`; `channel` may be left out on a connection that is on one chat.
 * Any other field (a `sender`, say) is ignored: the sender is the connection's token.
 */
const chatMessageFrame = z.lazy(() =>
  z.object({
    type: z.optional(z.literal('message')),
    content: z.string(),
    channel: z.optional(channelField),
    id: z.optional(clientMessageId),
  }),
);

export type ChatFrameDeps = ChatMessagesDeps & ResolveDeps;

export const chatMessage = (deps: ChatFrameDeps): FrameHandler =>
  defineFrame({
    schema: chatMessageFrame,
    async handle(ctx, frame) {
      const channel = await resolveChannel(deps, ctx, frame.channel, chat);
      // The same key space as `publish`: one client id is one message on a channel, whichever frame carried it.
      const { publication } = await sendChatMessage(deps, ctx.principal, {
        channel,
        content: frame.content,
        idempotency: frameIdempotency(channel, { ...frame, type: 'message' }),
      });
      ctx.reply(ackFrame(publication, channel, frame.id));
    },
  });

/** For the contract documents (contract/frames.ts). */
export { chatMessageFrame as chatContentFrame };
