import { disconnect } from '../../domain/connections';
import { ProtocolError } from '../../errors';
import type { OperationInput, OperationResult } from '../../http';
import { isoTime } from '../../protocol';

/** GET /v1/stats: the totals kept beside the connections (one GetItem, never a Scan). */
export async function statsOperation({ deps }: OperationInput): Promise<OperationResult> {
  const stats = await deps.connections.stats();
  return { status: 200, body: { ...stats, timestamp: isoTime(deps.clock.now()) } };
}

/**
 * DELETE /v1/connections/{id}: closes the socket through the Management API (API Gateway then sends
 * `$disconnect`) and removes the connection right away, telling its channels, without waiting for it;
 * whichever of the two removals comes second finds nothing and does nothing. 404 when it was gone.
 */
export async function closeConnectionOperation({ deps, params }: OperationInput): Promise<OperationResult> {
  const connectionId = params.id ?? '';
  if (connectionId.length === 0 || connectionId.length > 128) {
    throw new ProtocolError('INVALID_MESSAGE', 'connection id must be 1-128 characters');
  }
  const record = await deps.connections.get(connectionId);
  const closed = await deps.gateway.close(connectionId);
  if (record) await disconnect(deps, connectionId);
  if (!record && !closed) {
    throw new ProtocolError('NOT_FOUND', `no connection ${connectionId}`);
  }
  return { status: 204 };
}
