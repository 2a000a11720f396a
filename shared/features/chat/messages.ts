import type { Principal } from '../../core/auth/principal';
import { authorizeSubscribe, type Channel } from '../../core/channels';
import { ProtocolError } from '../../core/errors';
import type { Attempt } from '../../core/idempotency';
import type { MessageStore } from '../../core/ports';
import { chatText } from '../../core/protocol';
import { type Publication, type PublishDeps, publish } from '../../core/publish';
import { chatAccess } from './chats';
import type { ChatStore } from './store';

/** The seed's words for empty content (the length rule is the one chat-text rule of core/protocol.ts). */
export const EMPTY_CONTENT = 'Content cannot be empty';

/** What sending and listing chat messages use of the runtime. */
export type ChatMessagesDeps = PublishDeps & {
  chats: Pick<ChatStore, 'isParticipant'>;
  messages: Pick<MessageStore, 'nextSeq' | 'appendHistory' | 'historyBefore'>;
};

/** One chat message: the `message` of the `message` frame, as delivered, stored and listed. */
export interface ChatMessage {
  id: string;
  chat: string;
  sender: { id: string; username: string };
  content: string;
  timestamp: string;
  seq: number;
}

export interface SendInput {
  channel: Channel;
  content: string;
  /** A WebSocket message's `id` (core/session/frames.ts frameIdempotency); HTTP sends are made idempotent by the HTTP wrapper. */
  idempotency?: { key: string; request: unknown } | undefined;
  /** An HTTP send's claim (its Idempotency-Key: core/operations.ts). */
  attempt?: Attempt | undefined;
}

export interface SendResult {
  publication: Publication;
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
  deps: ChatMessagesDeps,
  principal: Principal,
  input: SendInput,
): Promise<SendResult> {
  const { channel } = input;
  await authorizeSubscribe(principal, channel, chatAccess(deps.chats));
  if (principal.sub === null) throw new ProtocolError('UNAUTHORIZED', 'sending needs an authenticated user');
  const sender = { id: principal.sub, username: principal.username };
  const content = chatText(input.content, 'Content', EMPTY_CONTENT);
  const chat = channel.name ?? '';
  let message: ChatMessage | undefined;
  const publication = await publish(deps, {
    channels: [channel],
    event: (meta) => {
      if (meta.seq === undefined) throw new Error(`${channel.id} keeps no history`);
      message = { id: meta.id, chat, sender, content, timestamp: meta.timestamp, seq: meta.seq };
      return { type: 'message', message };
    },
    ...(input.idempotency ? { idempotency: input.idempotency } : {}),
    attempt: input.attempt,
  });
  return { publication, ...(message && !publication.duplicate ? { message } : {}) };
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
  deps: Pick<ChatMessagesDeps, 'messages'>,
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
