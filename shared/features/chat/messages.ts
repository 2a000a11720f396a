import type { Principal } from '../../auth/principal';
import { authorizeSubscribe, type Channel, parseChannel } from '../../channels';
import type { Deps } from '../../domain/context';
import { type PublishResult, publishEvent } from '../../domain/publish';
import { ProtocolError } from '../../errors';

/** PROTOCOL.md section 7: chat text. Counted in characters (code points), after trimming. */
export const MAX_CONTENT_CHARS = 1000;
export const EMPTY_CONTENT = 'Content cannot be empty';

/** One chat message: the `message` of the `message` frame, as delivered, stored and listed. */
export interface ChatMessage {
  id: string;
  chat: string;
  sender: { id: string; username: string };
  content: string;
  timestamp: string;
  seq: number;
}

/** The channel of a chat; INVALID_CHANNEL when the id cannot name one. */
export const chatChannel = (chatId: string): Channel => parseChannel(`chat:${chatId}`);

/** The text as it will be stored: trimmed, not empty, at most MAX_CONTENT_CHARS characters. */
export function chatContent(raw: string): string {
  const content = raw.trim();
  if (content.length === 0) throw new ProtocolError('INVALID_MESSAGE', EMPTY_CONTENT);
  const chars = [...content].length;
  if (chars > MAX_CONTENT_CHARS) {
    throw new ProtocolError(
      'MESSAGE_TOO_LONG',
      `Content is ${chars} characters; at most ${MAX_CONTENT_CHARS} are allowed`,
    );
  }
  return content;
}

export interface SendInput {
  channel: Channel;
  content: string;
  /** A full idempotency key (WebSocket `id`); HTTP sends are made idempotent by the HTTP wrapper. */
  idempotencyKey?: string;
}

export interface SendResult {
  publish: PublishResult;
  /** The message as stored and delivered; absent when the send was a duplicate (nothing new was built). */
  message?: ChatMessage;
}

/**
 * Sends one message in a chat, over WebSocket or HTTP alike: only a participant may (anonymous:
 * UNAUTHORIZED, others: FORBIDDEN); the sender is the token's user, never anything the client sent; the
 * message is stored in the channel's history first (that entry is the record), then delivered as a
 * `message` frame to every connection subscribed to the chat.
 */
export async function sendChatMessage(
  deps: Deps,
  principal: Principal,
  input: SendInput,
): Promise<SendResult> {
  const { channel } = input;
  await authorizeSubscribe(principal, channel, deps.messages);
  if (principal.sub === null) throw new ProtocolError('UNAUTHORIZED', 'sending needs an authenticated user');
  const sender = { id: principal.sub, username: principal.username };
  const content = chatContent(input.content);
  const chat = channel.name ?? '';
  let message: ChatMessage | undefined;
  const publish = await publishEvent(deps, {
    channel,
    event: (meta) => {
      if (meta.seq === undefined) throw new Error(`${channel.id} keeps no history`);
      message = { id: meta.id, chat, sender, content, timestamp: meta.timestamp, seq: meta.seq };
      return { type: 'message', message };
    },
    ...(input.idempotencyKey === undefined ? {} : { idempotencyKey: input.idempotencyKey }),
  });
  return { publish, ...(message && !publish.duplicate ? { message } : {}) };
}

/** The chat message a stored frame carries; null for other events of the channel (e.g. `publication`). */
export function messageOfFrame(frame: string): ChatMessage | null {
  const parsed = JSON.parse(frame) as { type?: unknown; message?: unknown };
  if (parsed.type !== 'message' || typeof parsed.message !== 'object' || parsed.message === null) return null;
  return parsed.message as ChatMessage;
}

export interface MessagePage {
  messages: ChatMessage[];
  /** Continue with the messages older than this seq; null when there are none. */
  before: number | null;
}

/** How many history pages one listing reads at most while skipping events that are not messages. */
const MAX_READS = 10;

/**
 * The chat's messages older than `before` (all when null), newest first, at most `limit`. Read from the
 * channel's history (the one record of every message); the other events a chat channel may carry are
 * skipped. `before` of the result pages on without gaps or repeats, whatever arrives meanwhile.
 */
export async function listChatMessages(
  deps: Deps,
  channel: Channel,
  before: number | null,
  limit: number,
): Promise<MessagePage> {
  const messages: ChatMessage[] = [];
  let cursor = before;
  for (let read = 0; read < MAX_READS; read++) {
    // One more than needed: a full page then says for certain whether older messages exist.
    const page = await deps.messages.historyBefore(channel.id, cursor, limit + 1 - messages.length);
    for (const entry of page.entries) {
      cursor = entry.seq;
      const message = messageOfFrame(entry.frame);
      if (!message) continue;
      messages.push(message);
      if (messages.length > limit) {
        messages.pop();
        return { messages, before: messages.at(-1)?.seq ?? entry.seq };
      }
    }
    if (page.next === null) return { messages, before: null };
    cursor = page.next;
  }
  // Many events that are not messages in a row: hand back what was found and where to go on.
  return { messages, before: cursor };
}
