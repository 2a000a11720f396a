import * as z from 'zod/mini';
import { hasScope, SCOPE_PUBLISH } from '../../core/auth/principal';
import { userChannelOf } from '../../core/channels';
import { ProtocolError } from '../../core/errors';
import type { Attempt } from '../../core/idempotency';
import type { Operation } from '../../core/operations';
import { checkDataSize, validate } from '../../core/protocol';
import { type Publication, type PublishDeps, publish, pushAnswer } from '../../core/publish';
import type { Limits } from '../../core/settings';

export const PRIORITIES = ['low', 'normal', 'high'] as const;

const notificationInputObject = () =>
  z.object({
    title: z.string().check(z.trim(), z.minLength(1), z.maxLength(200)),
    message: z.string().check(z.trim(), z.minLength(1), z.maxLength(2000)),
    priority: z._default(z.enum(PRIORITIES), 'normal'),
    link: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
    data: z.optional(z.record(z.string(), z.unknown())),
  });
export const notificationInput = z.lazy(notificationInputObject);

export type NotificationInput = z.input<typeof notificationInput>;

export type NotificationsDeps = PublishDeps & { config: { limits: Pick<Limits, 'maxDataBytes'> } };

/**
 * A user's notification (seed 001's notifications, seed 004's `broadcast_notification`): `notification`
 * {title, message, priority, link?, data?} on `user:{id}`, so every connection of that user gets it and
 * nobody else does; kept in the channel's history for a reconnecting client. The one implementation,
 * behind POST /v1/notifications and the server library's `notifyUser`.
 */
export async function notifyUser(
  deps: NotificationsDeps,
  userId: string,
  input: NotificationInput,
  options: { idempotencyId?: string; attempt?: Attempt | undefined } = {},
): Promise<Publication> {
  const channel = userChannelOf(userId);
  const n = validate(notificationInput, input);
  if (n.data) checkDataSize(n.data, deps.config.limits.maxDataBytes);
  const event = {
    type: 'notification',
    title: n.title,
    message: n.message,
    priority: n.priority,
    ...(n.link === undefined ? {} : { link: n.link }),
    ...(n.data === undefined ? {} : { data: n.data }),
  };
  return publish(deps, {
    channels: [channel],
    event,
    ...(options.idempotencyId === undefined
      ? {}
      : { idempotency: { key: `notification#${channel.id}#${options.idempotencyId}`, request: event } }),
    attempt: options.attempt,
  });
}

// A user id is a token `sub` (any string), not a channel name: userChannelOf() makes it one.
const notificationBody = z.lazy(() =>
  z.extend(notificationInputObject(), {
    user_id: z.optional(z.string().check(z.minLength(1), z.maxLength(255))),
  }),
);

/** lambdas/http-notifications.ts. */
export function notificationsOperations(deps: NotificationsDeps) {
  /**
   * POST /v1/notifications: `user_id` defaults to the caller. A user may notify itself; notifying another
   * user takes `realtime:publish` (a service).
   */
  const notify: Operation = async ({ principal, body, attempt }) => {
    const { user_id, ...input } = validate(notificationBody, body ?? {});
    const userId = user_id ?? principal.sub;
    if (userId === null) throw new ProtocolError('INVALID_MESSAGE', 'user_id is required');
    if (userId !== principal.sub && !hasScope(principal, SCOPE_PUBLISH)) {
      throw new ProtocolError('FORBIDDEN', `notifying another user needs the scope ${SCOPE_PUBLISH}`);
    }
    return { status: 202, body: pushAnswer(await notifyUser(deps, userId, input, { attempt })) };
  };
  return { notify };
}

/** For the contract documents (contract/http.ts). */
export { notificationBody };
