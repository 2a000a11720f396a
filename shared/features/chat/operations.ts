import * as z from 'zod/mini';
import { authorizeSubscribe } from '../../core/channels';
import { ProtocolError } from '../../core/errors';
import type { Operation } from '../../core/operations';
import { isoTime, validate } from '../../core/protocol';
import {
  addParticipant,
  type ChatsDeps,
  chatAccess,
  chatChannel,
  createChat,
  readChat,
  userOf,
} from './chats';
import { type ChatMessagesDeps, listChatMessages, sendChatMessage } from './messages';
import type { Chat } from './store';

/** The HTTP API of chats (PROTOCOL.md section 5); lambdas/http-chats.ts serves these. */

const userId = z.lazy(() => z.string().check(z.minLength(1), z.maxLength(256)));

const createBody = z.lazy(() =>
  z.object({ participants: z.array(userId).check(z.minLength(1), z.maxLength(100)) }),
);
const participantBody = z.lazy(() => z.object({ user_id: userId }));
const sendBody = z.lazy(() => z.object({ content: z.string() }));
const listQuery = z.lazy(() =>
  z.object({
    limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 50),
    cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  }),
);

const chatBody = (chat: Chat) => ({
  id: chat.id,
  participants: chat.participants,
  created_at: isoTime(chat.createdAt),
  created_by: chat.createdBy,
});

export type ChatOperationsDeps = ChatsDeps & ChatMessagesDeps;

export function chatOperations(deps: ChatOperationsDeps) {
  /** POST /v1/chats {participants} → 201: a new chat of the caller and the users named. */
  const createChatOperation: Operation = async ({ principal, body }) => {
    const { participants } = validate(createBody, body);
    const chat = await createChat(deps, principal, participants);
    const { created_by: _, ...created } = chatBody(chat);
    return { status: 201, body: created, headers: { location: `/v1/chats/${chat.id}` } };
  };

  /** GET /v1/chats/{id}: participants only. */
  const getChat: Operation = async ({ principal, params }) => {
    const chat = await readChat(deps, principal, params.id ?? '');
    return { status: 200, body: chatBody(chat) };
  };

  /** POST /v1/chats/{id}/participants {user_id}: a participant adds someone. */
  const addParticipantOperation: Operation = async ({ principal, params, body }) => {
    const { user_id } = validate(participantBody, body);
    const chat = await addParticipant(deps, principal, params.id ?? '', user_id);
    return { status: 200, body: { id: chat.id, participants: chat.participants } };
  };

  /** POST /v1/chats/{id}/messages {content} → 201: stored, then broadcast to the chat's connections. */
  const sendMessage: Operation = async ({ principal, params, body, attempt }) => {
    userOf(principal);
    const channel = chatChannel(params.id ?? '');
    const { content } = validate(sendBody, body);
    const { message } = await sendChatMessage(deps, principal, { channel, content, attempt });
    if (!message) throw new Error('a send without an idempotency key is never a duplicate');
    return { status: 201, body: message };
  };

  /** GET /v1/chats/{id}/messages?limit&cursor: newest first; `next` is the cursor of the older page. */
  const listMessages: Operation = async ({ principal, params, query }) => {
    const channel = chatChannel(params.id ?? '');
    const { limit, cursor } = validate(listQuery, query);
    await authorizeSubscribe(principal, channel, chatAccess(deps.chats));
    const page = await listChatMessages(
      deps,
      channel,
      cursor === undefined ? null : decodeCursor(cursor),
      limit,
    );
    return {
      status: 200,
      body: { messages: page.messages, next: page.before === null ? null : encodeCursor(page.before) },
    };
  };

  return {
    createChat: createChatOperation,
    getChat,
    addParticipant: addParticipantOperation,
    listMessages,
    sendMessage,
  };
}

/** Opaque to clients: "the messages older than seq N". */
export const encodeCursor = (before: number): string => Buffer.from(`b${before}`).toString('base64url');

export function decodeCursor(cursor: string): number {
  const match = /^b([1-9][0-9]{0,14})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match?.[1]) throw new ProtocolError('INVALID_MESSAGE', 'cursor is not one this API gave out');
  return Number(match[1]);
}

/** The request schemas, for the contract documents (contract/http.ts). */
export {
  createBody as createChatBody,
  listQuery as chatMessagesQuery,
  participantBody,
  sendBody as sendChatMessageBody,
};
