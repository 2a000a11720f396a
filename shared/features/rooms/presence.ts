import { type Principal, senderOf } from '../../core/auth/principal';
import type { Channel } from '../../core/channels';
import { publish } from '../../core/publish';
import type { ChannelHooks } from '../../core/session/hooks';
import type { RoomsDeps } from './deps';

export type PresenceEvent = 'user_joined' | 'user_left';

const MESSAGES: Record<PresenceEvent, string> = {
  user_joined: 'A user joined the room',
  user_left: 'A user left the room',
};

/**
 * Presence in rooms (PROTOCOL.md section 4): a join or a leave is announced to the others as `notification`
 * {event, message, user} while the room, counting the one who moves, has at most PRESENCE_ANNOUNCE_MAX
 * subscribers (above that N joins would cost N²/2 frames). The room's count (the hook's `count`) says
 * whether to try; the subscriptions the notice is then sent to say it again (`maxAudience`), so a notice
 * whose room grew past the limit meanwhile (a burst of joins) is not sent: no join or leave costs more
 * than PRESENCE_ANNOUNCE_MAX − 1 frames. A join at `$connect` is news to those connected by then only: one
 * that came after it finds the joiner there already (the way a Pusher client is not told of members that
 * its own subscription found), so a burst of N joins costs N²/2 notices, not N². Notices are ephemeral:
 * no seq, no history, so a replay after a reconnect never repeats who came and went.
 */
export function presenceHooks(deps: RoomsDeps): ChannelHooks {
  const max = deps.config.limits.presenceAnnounceMax;
  const announce = async (
    channel: Channel,
    event: PresenceEvent,
    principal: Principal,
    connectionId: string,
    /** The room's subscriptions when the notice is sent, at most: the joiner's counted, the leaver's gone. */
    maxAudience: number,
    /** A join at `$connect`: only those connected by then are told (they were there before the joiner). */
    connectedBy?: number,
  ) => {
    await publish(deps, {
      channels: [channel],
      event: { type: 'notification', event, message: MESSAGES[event], user: senderOf(principal) },
      // The joiner is told nothing about itself (and at $connect it could not be posted to anyway).
      exclude: new Set([connectionId]),
      ephemeral: true,
      maxAudience,
      ...(connectedBy === undefined ? {} : { connectedBy }),
    });
  };
  // `count` includes the joiner: with nobody else there, there is nobody to tell.
  const joinWork = { min: 2, max };
  return {
    joinWork,
    async afterJoin({ channel, connectionId, principal, count, joinedAt }) {
      if (count < joinWork.min || count > joinWork.max) return;
      await announce(channel, 'user_joined', principal, connectionId, max, joinedAt);
    },
    async afterLeave({ channel, connectionId, principal, count }) {
      if (count < 1 || count + 1 > max) return;
      await announce(channel, 'user_left', principal, connectionId, max - 1);
    },
  };
}
