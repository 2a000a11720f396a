import type { Dialect } from '../../core/dialect';
import type { ServerFrame } from '../../core/protocol';
import { djangoId, isAck, plainError } from './common';

/**
 * Seed 003 (`/ws/chat/{chat_id}/` with `seedChat=chats`): `{type: "message", message: {id, chat, sender:
 * {id, username}, content, timestamp}}` and `error` {type, message}; the chat's and the sender's
 * whole-number ids as numbers. Its client sends `{"content": …}`: the native typeless chat frame.
 */
export function render003(frame: ServerFrame): ServerFrame | null {
  if (frame.type === 'error') return plainError(frame);
  if (frame.type !== 'message' || typeof frame.message !== 'object' || frame.message === null) {
    return isAck(frame) ? null : frame;
  }
  const m = frame.message as Record<string, unknown>;
  const s = (typeof m.sender === 'object' && m.sender !== null ? m.sender : {}) as Record<string, unknown>;
  return {
    type: 'message',
    message: {
      id: m.id,
      chat: djangoId(m.chat),
      sender: { ...s, id: djangoId(s.id) },
      content: m.content,
      timestamp: m.timestamp,
    },
  };
}

/** `{"content": …}` as the seed sends it is a chat message of the connection's chat (type `message`). */
export const parse003 = (frame: Record<string, unknown>): Record<string, unknown> =>
  'type' in frame || !('content' in frame) ? frame : { type: 'message', ...frame };

export const seed003Chat: Dialect = { name: 'seed003.chat', render: render003, parse: parse003 };
