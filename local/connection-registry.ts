import type { CloseInfo } from './close-codes';
import { awsStyleId } from './ids';

/**
 * The connections API Gateway knows of, by id, from the handshake until their `$disconnect` has run. Only
 * one whose socket is open takes posts: inside `$connect` there is no socket yet, and from the closing
 * handshake on the socket is no longer open; the Management API answers 410 to both, as AWS does.
 */

export interface Identity {
  sourceIp: string;
  userAgent?: string;
}

/** What the Management API may do to an open socket. */
export interface SocketControl {
  /** False from the start of the closing handshake. */
  readonly open: boolean;
  /** Data accepted for the socket and not yet handed to the kernel: what a client that does not read holds. */
  readonly bufferedBytes: number;
  send(data: Buffer): void;
  close(close: CloseInfo): void;
}

export interface LiveConnection {
  readonly id: string;
  readonly connectedAt: number;
  readonly identity: Identity;
  lastActiveAt: number;
  /** The `$connect` authorizer's context plus `principalId`, handed to every later event. */
  authorizer: Record<string, unknown>;
  socket?: SocketControl;
}

export class ConnectionRegistry {
  readonly #byId = new Map<string, LiveConnection>();
  #bufferedPeak = 0;

  /** The most data one connection has held accepted but unsent since the stack started (bytes). */
  get bufferedBytesPeak(): number {
    return this.#bufferedPeak;
  }

  /** What a connection holds unsent right after a post was accepted for it. */
  noteBuffered(bytes: number): void {
    if (bytes > this.#bufferedPeak) this.#bufferedPeak = bytes;
  }

  create(identity: Identity, now: number): LiveConnection {
    let id = awsStyleId();
    while (this.#byId.has(id)) id = awsStyleId();
    const connection: LiveConnection = {
      id,
      connectedAt: now,
      identity,
      lastActiveAt: now,
      authorizer: {},
    };
    this.#byId.set(id, connection);
    return connection;
  }

  /** A connection that can take a post right now. */
  open(id: string): (LiveConnection & { socket: SocketControl }) | undefined {
    const c = this.#byId.get(id);
    return c?.socket?.open ? (c as LiveConnection & { socket: SocketControl }) : undefined;
  }

  delete(id: string): void {
    this.#byId.delete(id);
  }

  all(): LiveConnection[] {
    return [...this.#byId.values()];
  }
}
