import * as z from 'zod/mini';
import { type Principal, senderOf } from '../../core/auth/principal';
import { ProtocolError } from '../../core/errors';
import { channelField, characters, chatText, clientMessageId } from '../../core/protocol';
import { ackFrame, publish } from '../../core/publish';
import { defineFrame, type FrameHandler, frameIdempotency } from '../../core/session/frames';
import { resolveChannel } from '../../core/session/resolve-channel';
import type { RoomsDeps } from './deps';
import { room } from './manifest';

/** Seed 001's display names: an anonymous sender may name itself, up to this many characters. */
export const USERNAME_MAX = 50;
export const ANONYMOUS_NAME = 'Anonymous';

export const chatMessageFrame = z.lazy(() =>
  z.object({
    type: z.literal('chat_message'),
    message: z.string(),
    username: z.nullish(z.string()),
    channel: z.optional(channelField),
    id: z.optional(clientMessageId),
  }),
);

/**
 * The name shown with a chat message. An authenticated connection is always shown with its token's
 * display name (a frame cannot impersonate anyone); an anonymous one may give its own, else "Anonymous".
 */
export function displayName(principal: Principal, given: string | null | undefined): string {
  if (principal.sub !== null) return principal.username;
  const name = given?.trim() ?? '';
  if (characters(name) > USERNAME_MAX) {
    throw new ProtocolError('INVALID_MESSAGE', `username must be at most ${USERNAME_MAX} characters`);
  }
  return name || ANONYMOUS_NAME;
}

/**
 * `chat_message` into a room the connection is subscribed to (seed 001's chat): broadcast to the room as
 * `chat_message` {message, username, sender, timestamp} with its seq and history, acked like `publish`,
 * and with publish's `id` idempotency (the same `id` in the same channel is delivered once).
 */
export const chatMessage = (deps: RoomsDeps): FrameHandler =>
  defineFrame({
    schema: chatMessageFrame,
    async handle(ctx, frame) {
      const message = chatText(frame.message, 'message');
      const username = displayName(ctx.principal, frame.username);
      const channel = await resolveChannel(deps, ctx, frame.channel, room, { subscribed: true });
      const idempotency = frameIdempotency(channel, frame);
      const publication = await publish(deps, {
        channels: [channel],
        event: { type: 'chat_message', message, username, sender: senderOf(ctx.principal) },
        ...(idempotency ? { idempotency } : {}),
      });
      ctx.reply(ackFrame(publication, channel, frame.id));
    },
  });
