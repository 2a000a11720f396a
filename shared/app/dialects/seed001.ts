import type { Dialect } from '../../core/dialect';
import type { ServerFrame } from '../../core/protocol';
import { asSent, plainError } from './common';

/**
 * Seed 001 (`/ws/chat/{room}/`, `/ws/notifications/`, `/ws/counter/`), its document's frames field for
 * field: `chat_message` {type, message, username, timestamp}; the room's `notification` {type, message,
 * event} when someone joins or leaves; a user's `notification` {type, title, message, priority, timestamp};
 * `counter_update` {type, action, value, timestamp}, at connect {type, counter, message}; `user_count_update`
 * {type, count}; `error` {type, message}. The frames its clients send (`chat_message`, `{action, value}`)
 * are the native ones.
 */
export function render001(frame: ServerFrame): ServerFrame | null {
  const { type, timestamp } = frame;
  switch (type) {
    case 'ack':
      return null;
    case 'chat_message':
      return { type, message: frame.message, username: frame.username, timestamp };
    case 'notification':
      return frame.event !== undefined
        ? { type, message: frame.message, event: frame.event }
        : { type, title: frame.title, message: frame.message, priority: frame.priority, timestamp };
    case 'counter_update':
      // A counter's answer to a join (action `sync`) was the seed's greeting: its total and a message.
      return frame.action === 'sync'
        ? { type, counter: frame.counter, message: 'Connected to counter' }
        : { type, action: frame.action, value: frame.value, timestamp };
    case 'user_count_update':
      return { type, count: frame.count };
    case 'error':
      return plainError(frame);
    default:
      return frame;
  }
}

export const seed001Chat: Dialect = { name: 'seed001.chat', render: render001, parse: asSent };

export const seed001Notifications: Dialect = {
  name: 'seed001.notifications',
  render: render001,
  parse: asSent,
  greet: ({ timestamp }) => [
    {
      type: 'connection_status',
      status: 'connected',
      message: 'Successfully connected to notifications',
      timestamp,
    },
  ],
};

/** At connect the counter's answer to a join: its total (and the number of connections on it). */
export const seed001Counter: Dialect = {
  name: 'seed001.counter',
  render: render001,
  parse: asSent,
  helloAtConnect: true,
};
