import * as z from 'zod/mini';
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
const serviceEventObject = () =>
  z.object({
    type: z.string().check(
      z.minLength(1),
      z.maxLength(64),
      z.refine((t) => !RESERVED_TYPES.has(t), { message: 'is reserved for the server' }),
    ),
    data: z._default(z.record(z.string(), z.unknown()), {}),
  });
export const serviceEvent = z.lazy(serviceEventObject);

const publishBody = z.lazy(() =>
  z
    .extend(serviceEventObject(), {
      channel: z.optional(z.string().check(z.minLength(1))),
      channels: z.optional(z.array(z.string().check(z.minLength(1))).check(z.maxLength(100))),
      user_ids: z.optional(
        z.array(z.string().check(z.minLength(1), z.maxLength(128))).check(z.maxLength(100)),
      ),
      connection_ids: z.optional(
        z.array(z.string().check(z.minLength(1), z.maxLength(128))).check(z.maxLength(1000)),
      ),
      exclude_connection_id: z.optional(z.string().check(z.minLength(1))),
      id: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
    })
    .check(
      z.refine((b) => b.channel || b.channels?.length || b.user_ids?.length || b.connection_ids?.length, {
        message: 'at least one target is required: channel, channels, user_ids or connection_ids',
      }),
    ),
);

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

/** For the contract documents (contract/http.ts). */
export { publishBody };
