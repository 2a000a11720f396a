import { z } from 'zod';
import { authorizeSubscribe, type ChannelAccess, type ChannelRegistry } from '../../core/channels';
import { ProtocolError } from '../../core/errors';
import type { Operation } from '../../core/operations';
import type { MessageStore } from '../../core/ports';
import { validate } from '../../core/protocol';

const historyQuery = z.object({
  since: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export interface HistoryDeps {
  channels: ChannelRegistry;
  access: ChannelAccess;
  messages: Pick<MessageStore, 'currentSeq' | 'history'>;
}

/**
 * GET /v1/channels/{channel}/history?since&limit: stored frames after `since`, oldest first, exactly as
 * they were delivered. `next` is the `since` of the following page, null on the last. Whoever may
 * subscribe to the channel may read it.
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
    let after = since;
    if (history.keep !== null) {
      const current = await deps.messages.currentSeq(channel.id);
      after = Math.max(after, current - history.keep);
    }
    const page = await deps.messages.history(channel.id, after, limit);
    return {
      status: 200,
      body: {
        channel: channel.id,
        messages: page.entries.map((e) => JSON.parse(e.frame) as unknown),
        next: page.next,
      },
    };
  };

/** For the contract documents (contract/http.ts). */
export { historyQuery };
