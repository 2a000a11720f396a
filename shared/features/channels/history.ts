import * as z from 'zod/mini';
import { authorizeSubscribe, type ChannelAccess, type ChannelRegistry } from '../../core/channels';
import { ProtocolError } from '../../core/errors';
import type { Operation } from '../../core/operations';
import type { MessageStore } from '../../core/ports';
import { validate } from '../../core/protocol';
import { type RecoveryDeps, readRange } from '../../core/recovery';

const historyQuery = z.lazy(() =>
  z.object({
    since: z._default(z.coerce.number().check(z.int(), z.minimum(0)), 0),
    limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 50),
  }),
);

export type HistoryDeps = RecoveryDeps & {
  channels: ChannelRegistry;
  access: ChannelAccess;
  messages: Pick<MessageStore, 'currentSeq'>;
};

/**
 * GET /v1/channels/{channel}/history?since&limit: the stored frames with seq in (since, since + limit],
 * oldest first, exactly as they were delivered; a seq whose publish died is a `void` marker
 * (core/recovery.ts). `next` is the `since` of the following page, null on the last. Whoever may subscribe
 * to the channel may read it.
 */
export const historyOperation =
  (deps: HistoryDeps): Operation =>
  async ({ principal, params, query }) => {
    const channel = deps.channels.parse(params.channel);
    const { since, limit } = validate(historyQuery, query);
    await authorizeSubscribe(principal, channel, deps.access);
    const history = channel.namespace.history;
    if (!history) {
      throw new ProtocolError('INVALID_CHANNEL', `"${channel.namespace.name}" channels keep no history`);
    }
    const current = await deps.messages.currentSeq(channel.id);
    const after = history.keep === null ? since : Math.max(since, current - history.keep);
    const upTo = Math.min(current, after + limit);
    const entries = after < upTo ? await readRange(deps, channel, after, upTo) : [];
    return {
      status: 200,
      body: {
        channel: channel.id,
        messages: entries.map((e) => JSON.parse(e.frame) as unknown),
        next: upTo < current ? upTo : null,
      },
    };
  };

/** For the contract documents (contract/http.ts). */
export { historyQuery };
