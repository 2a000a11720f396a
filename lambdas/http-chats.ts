import {
  addParticipantOperation,
  createChatOperation,
  getChatOperation,
  listMessagesOperation,
  sendMessageOperation,
} from '../shared/features/chat/operations';
import { httpHandler } from '../shared/http';

export const handler = httpHandler('http-chats', {
  createChat: createChatOperation,
  getChat: getChatOperation,
  addParticipant: addParticipantOperation,
  listMessages: listMessagesOperation,
  sendMessage: sendMessageOperation,
});
