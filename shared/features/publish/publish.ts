import { z } from 'zod';
import { type ChannelRegistry, userChannel } from '../../core/channels';
import type { Attempt } from '../../core/idempotency';
import type { Operation } from '../../core/operations';
import { validate } from '../../core/protocol';
import { type Publication, type PublishDeps, publish, pushAnswer } from '../../core/publish';

/** Frame types only the server itself sends: a service may not forge them. */
export const RESERVED_TYPES: ReadonlySet<string> = new Set([
  'error',
  'ack',
  'pong',
  'subscribed',
  'unsubscribed',
  'connection.established',
  'publication',
  'void',
]);

/**
 * What a service publishes (POST /v1/publish, the server library's `publish`): an event `type` of its
 * choosing but none the server reserves, and `data` whose fields are spread into the frame beside the
 * envelope (which they cannot override).
 */
export const serviceEvent = z.object({
  type: z
    .string()
    .min(1)
    .max(64)
    .refine((t) => !RESERVED_TYPES.has(t), { message: 'is reserved for the server' }),
  data: z.record(z.string(), z.unknown()).default({}),
});

const publishBody = serviceEvent
  .extend({
    channel: z.string().min(1).optional(),
    channels: z.array(z.string().min(1)).max(100).optional(),
    user_ids: z.array(z.string().min(1).max(128)).max(100).optional(),
    connection_ids: z.array(z.string().min(1).max(128)).max(1000).optional(),
    exclude_connection_id: z.string().min(1).optional(),
    id: z.string().min(1).max(64).optional(),
  })
  .refine((b) => b.channel || b.channels?.length || b.user_ids?.length || b.connection_ids?.length, {
    message: 'at least one target is required: channel, channels, user_ids or connection_ids',
  });

export type PublishBody = z.input<typeof publishBody>;

export type ServerPublishDeps = PublishDeps & { channels: ChannelRegistry };

/**
 * One event to every connection on the targets and no other (seed 000's "select specific sockets"):
 * channels (and `user:{id}` for user_ids) get their own seq and history, connection_ids are posted to
 * directly; one id for all, and a connection on several targets gets it once.
 */
export async function publishToTargets(
  deps: ServerPublishDeps,
  body: PublishBody,
  attempt?: Attempt,
): Promise<Publication> {
  const input = validate(publishBody, body);
  const names = [
    ...(input.channel ? [input.channel] : []),
    ...(input.channels ?? []),
    ...(input.user_ids ?? []).map(userChannel),
  ];
  // Every name is checked before anything is stored or sent.
  const channels = [...new Set(names)].map((name) => deps.channels.parse(name));
  return publish(deps, {
    channels,
    connections: { ids: [...new Set(input.connection_ids ?? [])] },
    event: { ...input.data, type: input.type },
    ...(input.exclude_connection_id ? { exclude: new Set([input.exclude_connection_id]) } : {}),
    attempt,
  });
}

/** lambdas/http-publish.ts. */
export function publishOperations(deps: ServerPublishDeps) {
  /** POST /v1/publish → 202 {id, recipients, delivered, gone, seq?}. Its body `id` is its idempotency key. */
  const publishOperation: Operation = async ({ body, attempt }) => ({
    status: 202,
    body: pushAnswer(await publishToTargets(deps, body as PublishBody, attempt)),
  });
  return { publish: publishOperation };
}
