import type { Principal } from '../../core/auth/principal';
import { type Channel, type ChannelAccess, channelIn } from '../../core/channels';
import { ProtocolError } from '../../core/errors';
import type { Clock, Ids } from '../../core/ports';
import { chat as chatNamespace } from './manifest';
import type { Chat, ChatStore } from './store';

/** The most participants a chat may have; a chat's participants are listed whole on every read. */
export const MAX_PARTICIPANTS = 1000;

export interface ChatsDeps {
  chats: ChatStore;
  clock: Clock;
  ids: Ids;
}

/** The channel of a chat; INVALID_CHANNEL when the id cannot name one. */
export const chatChannel = (chatId: string): Channel => channelIn(chatNamespace, chatId);

/** The `participants` audience of `chat:` channels: the chat's stored participants. */
export const chatAccess = (chats: Pick<ChatStore, 'isParticipant'>): ChannelAccess => ({
  isParticipant: (channel, userId) => chats.isParticipant(channel.name ?? '', userId),
});

/** The token's user; UNAUTHORIZED for an anonymous principal (chats are for users). */
export function userOf(principal: Principal): string {
  if (principal.sub === null) throw new ProtocolError('UNAUTHORIZED', 'chats need an authenticated user');
  return principal.sub;
}

/** The one answer for "no such chat" and "not yours": a non-participant learns nothing of a chat. */
const notAParticipant = (chatId: string) =>
  new ProtocolError('FORBIDDEN', `not a participant of "chat:${chatId}"`);

/** Creates a chat of the caller and `participants`; its id comes from the server. */
export async function createChat(
  deps: ChatsDeps,
  principal: Principal,
  participants: string[],
): Promise<Chat> {
  const me = userOf(principal);
  const chat: Chat = {
    id: deps.ids.next(),
    participants: [...new Set([me, ...participants])].sort(),
    createdAt: deps.clock.now(),
    createdBy: me,
  };
  chatChannel(chat.id); // the id must name a channel
  await deps.chats.create(chat);
  return chat;
}

/** The chat, for its participants; FORBIDDEN for everyone else, whether or not the chat exists. */
export async function readChat(
  deps: Pick<ChatsDeps, 'chats'>,
  principal: Principal,
  chatId: string,
): Promise<Chat> {
  const me = userOf(principal);
  chatChannel(chatId);
  const chat = await deps.chats.get(chatId);
  if (!chat?.participants.includes(me)) throw notAParticipant(chatId);
  return chat;
}

/** A participant adds another user; adding someone who is a participant already changes nothing. */
export async function addParticipant(
  deps: ChatsDeps,
  principal: Principal,
  chatId: string,
  userId: string,
): Promise<Chat> {
  const chat = await readChat(deps, principal, chatId);
  if (chat.participants.includes(userId)) return chat;
  if (chat.participants.length >= MAX_PARTICIPANTS) {
    throw new ProtocolError('CONFLICT', `a chat has at most ${MAX_PARTICIPANTS} participants`);
  }
  await deps.chats.addParticipant(chatId, userId, userOf(principal), deps.clock.now());
  return { ...chat, participants: [...chat.participants, userId].sort() };
}
