/**
 * The frames every namespace shares (PROTOCOL.md section 3), as pure data: the route table routes each of
 * them to the message handler (shared/app/routes.ts), and session-frames.ts must handle exactly these.
 */
export const SESSION_FRAME_TYPES = ['hello', 'ping', 'subscribe', 'unsubscribe', 'publish'] as const;

export type SessionFrameType = (typeof SESSION_FRAME_TYPES)[number];
