import { z } from 'zod';
import { parseChannel } from '../../channels';
import type { Deps } from '../../domain/context';
import { idempotencyKey, type PublishResult, publishEvent } from '../../domain/publish';
import { ProtocolError } from '../../errors';
import { byteLength, validate } from '../../protocol';

/**
 * A user's notification (seed 004's `broadcast_notification`, seed 001's notifications): `notification`
 * {title, message, priority, link?, data?} on `user:{id}`, which every connection of that user is on.
 */
export const notificationInput = z.object({
  title: z.string().min(1).max(200),
  message: z.string().min(1).max(2000),
  priority: z.enum(['low', 'normal', 'high']).default('normal'),
  link: z.string().min(1).max(2048).optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});

export type NotificationInput = z.input<typeof notificationInput>;

export async function notifyUser(
  deps: Deps,
  userId: string,
  input: NotificationInput,
  options: { idempotencyId?: string } = {},
): Promise<PublishResult> {
  const channel = parseChannel(`user:${userId}`);
  const n = validate(notificationInput, input);
  const max = deps.config.limits.maxDataBytes;
  const size = byteLength(JSON.stringify(n.data ?? {}));
  if (size > max) {
    throw new ProtocolError('PAYLOAD_TOO_LARGE', `data is ${size} bytes; at most ${max} bytes are allowed`);
  }
  return publishEvent(deps, {
    channel,
    event: {
      type: 'notification',
      title: n.title,
      message: n.message,
      priority: n.priority,
      ...(n.link === undefined ? {} : { link: n.link }),
      ...(n.data === undefined ? {} : { data: n.data }),
    },
    ...(options.idempotencyId === undefined
      ? {}
      : { idempotencyKey: idempotencyKey(`notification#${channel.id}`, options.idempotencyId) }),
  });
}
