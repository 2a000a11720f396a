import type { CloseInfo } from './close-codes';
import { awsStyleId } from './ids';

/**
 * The connections API Gateway knows of, by id. A connection is `connecting` from the handshake until
 * `$connect` returns (the Management API answers 410 then, as AWS does), `open` while its socket is, and
 * `closed` from the moment the socket closes until `$disconnect` has run.
 */
export type Phase = 'connecting' | 'open' | 'closed';

export interface Identity {
  sourceIp: string;
  userAgent?: string;
}

/** What the Management API may do to an open socket. */
export interface SocketControl {
  /** False from the start of the closing handshake. */
  readonly open: boolean;
  send(data: Buffer): void;
  close(close: CloseInfo): void;
}

export interface LiveConnection {
  readonly id: string;
  readonly connectedAt: number;
  readonly identity: Identity;
  phase: Phase;
  lastActiveAt: number;
  /** The `$connect` authorizer's context plus `principalId`, handed to every later event. */
  authorizer: Record<string, unknown>;
  socket?: SocketControl;
}

export class ConnectionRegistry {
  readonly #byId = new Map<string, LiveConnection>();

  create(identity: Identity, now: number): LiveConnection {
    let id = awsStyleId();
    while (this.#byId.has(id)) id = awsStyleId();
    const connection: LiveConnection = {
      id,
      connectedAt: now,
      identity,
      phase: 'connecting',
      lastActiveAt: now,
      authorizer: {},
    };
    this.#byId.set(id, connection);
    return connection;
  }

  get(id: string): LiveConnection | undefined {
    return this.#byId.get(id);
  }

  /** A connection that can take a post right now. */
  open(id: string): (LiveConnection & { socket: SocketControl }) | undefined {
    const c = this.#byId.get(id);
    return c?.phase === 'open' && c.socket?.open
      ? (c as LiveConnection & { socket: SocketControl })
      : undefined;
  }

  delete(id: string): void {
    this.#byId.delete(id);
  }

  all(): LiveConnection[] {
    return [...this.#byId.values()];
  }
}
