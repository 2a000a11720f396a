import { z } from 'zod';
import { hasScope, SCOPE_PUBLISH } from '../../auth/principal';
import { parseChannel } from '../../channels';
import { publishEvent } from '../../domain/publish';
import { ProtocolError } from '../../errors';
import type { OperationInput, OperationResult } from '../../http';
import { validate } from '../../protocol';
import { pushReport } from '../delivery';
import { checkDataSize, nameField } from '../fields';

export const PRIORITIES = ['low', 'normal', 'high'] as const;

const notificationBody = z.object({
  user_id: nameField.optional(),
  title: z.string().trim().min(1).max(200),
  message: z.string().trim().min(1).max(2000),
  priority: z.enum(PRIORITIES).default('normal'),
  link: z.string().min(1).max(2048).optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});

/**
 * POST /v1/notifications (seed 001's notifications): `notification` {title, message, priority, link?,
 * data?} on `user:{user_id}`, so every connection of that user gets it and nobody else does; kept in the
 * channel's history for a reconnecting client. `user_id` defaults to the caller. A user may notify itself;
 * notifying another user takes `realtime:publish` (a service).
 */
export async function notifyOperation({ deps, principal, body }: OperationInput): Promise<OperationResult> {
  const input = validate(notificationBody, body ?? {});
  const userId = input.user_id ?? principal.sub;
  if (userId === null) throw new ProtocolError('INVALID_MESSAGE', 'user_id is required');
  if (userId !== principal.sub && !hasScope(principal, SCOPE_PUBLISH)) {
    throw new ProtocolError('FORBIDDEN', `notifying another user needs the scope ${SCOPE_PUBLISH}`);
  }
  if (input.data) checkDataSize(deps, input.data);
  const result = await publishEvent(deps, {
    channel: parseChannel(`user:${userId}`),
    event: {
      type: 'notification',
      title: input.title,
      message: input.message,
      priority: input.priority,
      ...(input.link === undefined ? {} : { link: input.link }),
      ...(input.data === undefined ? {} : { data: input.data }),
    },
  });
  return { status: 202, body: pushReport(result) };
}
