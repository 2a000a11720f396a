import { z } from 'zod';
import { ProtocolError } from '../errors';

/** Field rules the features of seeds 000 and 001 share. */

/** A user id, device id or room name: what may follow `namespace:` in a channel (shared/channels.ts). */
export const nameField = z
  .string()
  .regex(/^[A-Za-z0-9_\-.@=]{1,128}$/, 'must be 1-128 characters of A-Z a-z 0-9 _ - . @ =');

/** Chat text (PROTOCOL.md section 7), counted in characters (code points), as the seed's Python len() did. */
export const CHAT_TEXT_MAX = 1000;

export const characters = (s: string): number => [...s].length;

/** The text, trimmed; INVALID_MESSAGE when nothing is left, MESSAGE_TOO_LONG past the chat text limit. */
export function chatText(raw: string, field = 'message'): string {
  const text = raw.trim();
  if (text.length === 0) throw new ProtocolError('INVALID_MESSAGE', `${field} must not be empty`);
  const n = characters(text);
  if (n > CHAT_TEXT_MAX) {
    throw new ProtocolError(
      'MESSAGE_TOO_LONG',
      `${field} is ${n} characters; at most ${CHAT_TEXT_MAX} are allowed`,
    );
  }
  return text;
}
