import type { Dialect } from '../../core/dialect';
import type { ServerFrame } from '../../core/protocol';
import { asSent, isAck } from './common';

/**
 * Seed 004 (`/ws/notifications/?token=` with `seedNotifications=004`, `/ws/events/{org}/?token=`):
 * `notification` {type, notification: {title, body, timestamp, …}} (the native `message` is its `body`; a
 * priority, link and data's fields go inside it too), `event` {type, event_type, data}, and at connect
 * `connection.established` {type, message, user_id} (with `org_id` on events). `ping` → `pong` is native.
 */
export function render004(frame: ServerFrame): ServerFrame | null {
  const { type, timestamp } = frame;
  if (type === 'notification' && frame.title !== undefined) {
    const data = typeof frame.data === 'object' && frame.data !== null ? frame.data : {};
    return {
      type,
      notification: {
        ...data,
        title: frame.title,
        body: frame.message,
        timestamp,
        priority: frame.priority,
        ...(frame.link === undefined ? {} : { link: frame.link }),
      },
    };
  }
  if (type === 'event') return { type, event_type: frame.event_type, data: frame.data };
  return isAck(frame) ? null : frame;
}

export const seed004Notifications: Dialect = {
  name: 'seed004.notifications',
  render: render004,
  parse: asSent,
  greet: ({ principal }) => [
    { type: 'connection.established', message: 'Connected to notifications', user_id: principal.sub },
  ],
};

export const seed004Events: Dialect = {
  name: 'seed004.events',
  render: render004,
  parse: asSent,
  greet: ({ principal, channels }) => {
    const org = channels.find((c) => c.startsWith('org:'))?.slice('org:'.length) ?? null;
    return [
      {
        type: 'connection.established',
        message: `Connected to organization ${org}`,
        user_id: principal.sub,
        org_id: org,
      },
    ];
  },
};
