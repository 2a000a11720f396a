/**
 * Chats and their participants: the storage port of the chat feature. The DynamoDB implementation is
 * shared/adapters/dynamo/chat-store.ts (items `chat#{id}` / `meta` and `chat#{id}` / `member#{sub}`; the
 * member items are also what `isParticipant` reads, which is what the `participants` audience of `chat:`
 * asks, so subscribe, publish and history all see the same participants); the fake is in
 * test/support/fakes.ts.
 */
export interface Chat {
  id: string;
  /** User ids (token `sub`s), sorted. */
  participants: string[];
  /** Epoch milliseconds. */
  createdAt: number;
  createdBy: string;
}

export interface ChatStore {
  /** Stores a new chat: its participants first, then its record, so a chat that can be read is complete. */
  create(chat: Chat): Promise<void>;
  /** The chat with all its participants; null when there is no such chat. */
  get(chatId: string): Promise<Chat | null>;
  /** Is the user a participant of the chat? (One consistent GetItem: asked on every subscribe and send.) */
  isParticipant(chatId: string, userId: string): Promise<boolean>;
  /** Adds one participant; resolves false when they were one already. */
  addParticipant(chatId: string, userId: string, addedBy: string, now: number): Promise<boolean>;
}
