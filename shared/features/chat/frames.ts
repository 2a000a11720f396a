import { z } from 'zod';
import { defineFrame } from '../../domain/frames';
import { ackFrame, idempotencyKey } from '../../domain/publish';
import { resolveChannel } from '../../domain/resolve-channel';
import { channelField, clientMessageId } from '../../protocol';
import { sendChatMessage } from './messages';

/**
 * A chat message from a client (PROTOCOL.md section 3): the seed's `{"content": …}` without a type, or
 * `{"type": "message", "content": …}`; `channel` may be left out on a connection that is on one chat.
 * Any other field (a `sender`, say) is ignored: the sender is the connection's token.
 */
const chatMessageFrame = z.object({
  type: z.literal('message').optional(),
  content: z.string(),
  channel: channelField.optional(),
  id: clientMessageId.optional(),
});

export const chatMessage = defineFrame({
  type: 'message',
  typelessField: 'content',
  schema: chatMessageFrame,
  async handle(ctx, frame) {
    const channel = await resolveChannel(ctx, frame.channel, 'chat');
    const { publish } = await sendChatMessage(ctx.deps, ctx.principal, {
      channel,
      content: frame.content,
      // The same key space as `publish`: one client id is one message on a channel, whichever frame carried it.
      ...(frame.id === undefined ? {} : { idempotencyKey: idempotencyKey(`ws#${channel.id}`, frame.id) }),
    });
    ctx.reply(ackFrame(publish, frame.id));
  },
});

export const chatFrames = [chatMessage];
