import { z } from 'zod';
import { parseChannel, userChannel } from '../channels';
import type { Deps } from '../domain/context';
import { postWithRetry, removeGone } from '../domain/fanout';
import { mapBounded } from '../domain/pool';
import { type EventFields, frameOf, publishEvent } from '../domain/publish';
import type { OperationInput, OperationResult } from '../http';
import { isoTime, validate } from '../protocol';

/** Frame types only the server itself sends: a service may not forge them. */
export const RESERVED_TYPES: ReadonlySet<string> = new Set([
  'error',
  'ack',
  'pong',
  'subscribed',
  'unsubscribed',
  'connection.established',
  'publication',
]);

const publishBody = z
  .object({
    channel: z.string().min(1).optional(),
    channels: z.array(z.string().min(1)).max(100).optional(),
    user_ids: z.array(z.string().min(1).max(128)).max(100).optional(),
    connection_ids: z.array(z.string().min(1).max(128)).max(1000).optional(),
    exclude_connection_id: z.string().min(1).optional(),
    type: z
      .string()
      .min(1)
      .max(64)
      .refine((t) => !RESERVED_TYPES.has(t), { message: 'is reserved for the server' }),
    data: z.record(z.string(), z.unknown()).default({}),
    id: z.string().min(1).max(64).optional(),
  })
  .refine((b) => b.channel || b.channels?.length || b.user_ids?.length || b.connection_ids?.length, {
    message: 'at least one target is required: channel, channels, user_ids or connection_ids',
  });

export type PublishBody = z.infer<typeof publishBody>;

export interface DeliveryReport {
  id: string;
  recipients: number;
  delivered: number;
  gone: number;
}

/**
 * POST /v1/publish: one event to every connection on the targets and no other (seed 000's "select specific
 * sockets"). Channels (and `user:{id}` for user_ids) get their own seq and history; connection_ids are
 * posted to directly. A connection on several targets gets the event once.
 */
export async function publishOperation({ deps, body }: OperationInput): Promise<OperationResult> {
  const input = validate(publishBody, body);
  const report = await deliver(deps, input);
  return { status: 202, body: report };
}

export async function deliver(deps: Deps, input: PublishBody): Promise<DeliveryReport> {
  const id = deps.ids.next();
  const names = [
    ...(input.channel ? [input.channel] : []),
    ...(input.channels ?? []),
    ...(input.user_ids ?? []).map(userChannel),
  ];
  const channels = [...new Set(names)].map(parseChannel); // every name checked before anything is sent
  const event: EventFields = { ...input.data, type: input.type };
  const reached = new Set<string>();
  const exclude = input.exclude_connection_id ? new Set([input.exclude_connection_id]) : undefined;
  const report: DeliveryReport = { id, recipients: 0, delivered: 0, gone: 0 };

  for (const channel of channels) {
    const r = await publishEvent(deps, { channel, event, id, reached, ...(exclude ? { exclude } : {}) });
    report.recipients += r.recipients;
    report.delivered += r.delivered;
    report.gone += r.gone;
  }

  const direct = [...new Set(input.connection_ids ?? [])].filter((c) => !reached.has(c) && !exclude?.has(c));
  if (direct.length > 0) {
    const payload = new TextEncoder().encode(
      JSON.stringify(frameOf({ type: input.type, id, timestamp: isoTime(deps.clock.now()) }, input.data)),
    );
    report.recipients += direct.length;
    await mapBounded(direct, deps.config.fanOut.concurrency, async (connectionId) => {
      const outcome = await postWithRetry(deps, connectionId, payload);
      if (outcome === 'delivered') report.delivered++;
      // As in fan-out: a 410 from a connection still inside $connect does not remove it.
      if (outcome === 'gone' && (await removeGone(deps, connectionId))) report.gone++;
    });
  }
  return report;
}
