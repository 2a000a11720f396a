import { type DisconnectDeps, disconnect } from '../../core/connections';
import { ProtocolError } from '../../core/errors';
import type { Operation } from '../../core/operations';
import type { Clock, ConnectionStore, Gateway } from '../../core/ports';
import { isoTime } from '../../core/protocol';

export type AdminDeps = DisconnectDeps & {
  connections: Pick<ConnectionStore, 'get' | 'remove'>;
  gateway: Pick<Gateway, 'close'>;
  clock: Clock;
};

export interface StatsDeps {
  connections: Pick<ConnectionStore, 'stats'>;
  clock: Clock;
}

/** GET /v1/stats (lambdas/http-stats.ts): the totals kept beside the connections (one GetItem, never a Scan). */
export const statsOperation =
  (deps: StatsDeps): Operation =>
  async () => {
    const totals = await deps.connections.stats();
    return { status: 200, body: { ...totals, timestamp: isoTime(deps.clock.now()) } };
  };

/**
 * DELETE /v1/connections/{id} (lambdas/http-connections.ts): closes the socket through the Management API
 * (API Gateway then sends `$disconnect`) and removes the connection right away, telling its channels,
 * without waiting for it; whichever of the two removals comes second finds nothing and does nothing. 404
 * when it was gone.
 */
export const closeOperation =
  (deps: AdminDeps): Operation =>
  async ({ params }) => {
    const connectionId = params.id ?? '';
    if (connectionId.length === 0 || connectionId.length > 128) {
      throw new ProtocolError('INVALID_MESSAGE', 'connection id must be 1-128 characters');
    }
    const record = await deps.connections.get(connectionId);
    const closed = await deps.gateway.close(connectionId);
    if (record) await disconnect(deps, connectionId);
    if (!record && !closed) throw new ProtocolError('NOT_FOUND', `no connection ${connectionId}`);
    return { status: 204 };
  };
