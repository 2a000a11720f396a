import { type Clock, type ConnectionStore, type Gateway, GatewayError, type Log } from '../ports';

const MAX_ATTEMPTS = 4;
const BASE_BACKOFF_MS = 20;

export type PostResult = 'delivered' | 'gone' | 'failed';

/**
 * Posts one frame to one connection: retries what the gateway calls retryable (throttling, 5xx, no answer)
 * with jittered backoff, and says `failed` once the attempts are used up or the error is not retryable.
 */
export async function postWithRetry(
  deps: { gateway: Gateway; clock: Clock; log: Log },
  connectionId: string,
  payload: Uint8Array,
): Promise<PostResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await deps.gateway.post(connectionId, payload);
    } catch (error) {
      const retryable = error instanceof GatewayError && error.retryable;
      if (!retryable || attempt >= MAX_ATTEMPTS) {
        deps.log.warn('post failed', { connectionId, attempt, error: errorSummary(error) });
        return 'failed';
      }
      const backoff = BASE_BACKOFF_MS * 2 ** (attempt - 1);
      await deps.clock.sleep(backoff + Math.floor(Math.random() * backoff));
    }
  }
}

const errorSummary = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/**
 * API Gateway answers 410 to a post to a connection whose `$connect` has not returned yet (its
 * subscriptions from `?channels=` are stored by then). Removing it would drop a client that is about to
 * open, so a connection younger than this is left alone; one that really died goes with its
 * `$disconnect`, a later delivery, or TTL.
 */
export const CONNECTING_GRACE_MS = 30_000;

/**
 * Removes a connection a post found gone, unless it may still be connecting; resolves whether it did.
 * `connectedAt`, when the subscription carried it (Subscriber.connectedAt), decides without reading the
 * connection's record: a burst of joins meets many connections still inside `$connect`, and each such
 * read was one more DynamoDB request.
 */
export async function removeGone(
  deps: { connections: Pick<ConnectionStore, 'get' | 'remove'>; clock: Clock },
  connectionId: string,
  channel?: string,
  connectedAt?: number,
): Promise<boolean> {
  const since = connectedAt ?? (await deps.connections.get(connectionId))?.connectedAt;
  if (since !== undefined && deps.clock.now() - since < CONNECTING_GRACE_MS) return false;
  await deps.connections.remove(connectionId, channel);
  return true;
}
