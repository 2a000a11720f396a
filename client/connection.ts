import { SwitchboardError } from './codes';
import type { Established, ServerFrame, SocketEvent, WebSocketLike } from './types';

/**
 * One WebSocket from its handshake to its close: `hello` on open, `ping` on a timer, and the waits for
 * `connection.established` and for each `subscribed`. It knows nothing of subscriptions or publishes: it
 * hands every frame to its owner, and tells it once, with what it knows, when it is gone.
 */
export interface ConnectionHooks {
  /** The socket opened and `hello` went out: frames may be sent (the server needs no `hello` first). */
  open(conn: Connection): void;
  /** `connection.established` arrived. */
  ready(conn: Connection): void;
  frame(conn: Connection, frame: ServerFrame): void;
  closed(conn: Connection, info: CloseInfo): void;
  /** Every frame in and out, for the debug `frame` event. */
  traffic(conn: Connection, direction: 'in' | 'out', text: string): void;
}

export interface CloseInfo {
  code: number;
  reason: string;
  /** Whether the socket opened (a handshake that failed never does). */
  opened: boolean;
  /** The handshake's HTTP status where the WebSocket implementation says it (`ws` does, browsers never). */
  status?: number;
}

export interface ConnectionTiming {
  timeoutMs: number;
  pingIntervalMs: number;
  pongTimeoutMs: number;
}

/** The close code the client uses for a connection it gave up on (no pong, no answer): 4000-4999 is ours. */
export const CLOSE_DEAD = 4000;
const OPEN = 1;
/** How `ws` reports a refused handshake in its error event (browsers hide the status on purpose). */
const REFUSED_STATUS = /Unexpected server response: (\d{3})/;

interface Wait {
  ref: string;
  resolve(): void;
  reject(error: SwitchboardError): void;
  timer: ReturnType<typeof setTimeout>;
}

let serial = 0;

export class Connection {
  /** A number for debugging: which connection a frame came on. */
  readonly n = ++serial;
  openedAt = 0;
  info: Established | undefined;
  #done = false;
  #opened = false;
  #status: number | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pongTimer: ReturnType<typeof setTimeout> | undefined;
  #waits = new Map<string, Wait>();
  #refs = 0;

  constructor(
    private readonly ws: WebSocketLike,
    private readonly hooks: ConnectionHooks,
    private readonly timing: ConnectionTiming,
  ) {
    this.#timer = setTimeout(() => this.fail('no connection.established'), timing.timeoutMs);
    ws.addEventListener('open', () => {
      if (this.#done) return;
      this.#opened = true;
      this.openedAt = Date.now();
      // API Gateway cannot send before $connect returns, so the server never speaks first: ask it.
      this.send({ type: 'hello' });
      hooks.open(this);
    });
    ws.addEventListener('message', (event) => this.#message(event));
    ws.addEventListener('error', (event) => {
      const status = REFUSED_STATUS.exec(event.message ?? '')?.[1];
      if (status) this.#status = Number(status);
    });
    ws.addEventListener('close', (event) =>
      this.#finish({ code: event.code ?? 1006, reason: event.reason ?? '', opened: this.#opened }),
    );
  }

  get done(): boolean {
    return this.#done;
  }

  /** Open and not given up: frames can go out. */
  get usable(): boolean {
    return this.#opened && !this.#done;
  }

  /** Whether any `subscribe` awaits its answer. */
  get waiting(): boolean {
    return this.#waits.size > 0;
  }

  send(frame: object): boolean {
    return this.sendText(JSON.stringify(frame));
  }

  sendText(text: string): boolean {
    if (this.#done || this.ws.readyState !== OPEN) return false;
    this.ws.send(text);
    this.hooks.traffic(this, 'out', text);
    return true;
  }

  /** Sends `subscribe`; settles on `subscribed` (see `settle`), an error with its ref, or the timeout. */
  subscribe(channel: string, since: number | undefined): Promise<void> {
    const ref = `s${this.n}.${++this.#refs}`;
    this.#waits.get(channel)?.reject(new SwitchboardError('CLOSED', 'superseded'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waits.delete(channel);
        reject(
          new SwitchboardError('TIMEOUT', `no subscribed for ${channel} in ${this.timing.timeoutMs} ms`),
        );
      }, this.timing.timeoutMs);
      this.#waits.set(channel, { ref, resolve, reject, timer });
      this.send({ type: 'subscribe', channel, ...(since === undefined ? {} : { since }), id: ref });
    });
  }

  /** Whether a `subscribe` of the channel awaits its answer (a publish there waits for it). */
  subscribing(channel: string): boolean {
    return this.#waits.has(channel);
  }

  /** `subscribed` for a channel, or an error frame with a ref: true when a wait of ours settled. */
  settle(channel: string | undefined, ref?: string, error?: SwitchboardError): boolean {
    for (const [key, wait] of this.#waits) {
      if (ref === undefined ? key !== channel : wait.ref !== ref) continue;
      clearTimeout(wait.timer);
      this.#waits.delete(key);
      if (error) wait.reject(error);
      else wait.resolve();
      return true;
    }
    return false;
  }

  close(code = 1000, reason = ''): void {
    if (this.#done) return;
    try {
      this.ws.close(code, reason);
    } catch {
      // Already closing: nothing left to do.
    }
    this.#finish({ code, reason, opened: this.#opened });
  }

  /** Gives up on a connection that stopped answering: it is closed and reported gone at once. */
  fail(reason: string): void {
    this.close(CLOSE_DEAD, reason);
  }

  #message(event: SocketEvent): void {
    if (this.#done || typeof event.data !== 'string') return;
    this.hooks.traffic(this, 'in', event.data);
    // Any frame proves the connection alive, a pong or not.
    clearTimeout(this.#pongTimer);
    this.#pongTimer = undefined;
    let frame: ServerFrame;
    try {
      frame = JSON.parse(event.data) as ServerFrame;
    } catch {
      return;
    }
    if (frame === null || typeof frame !== 'object') return;
    if (frame.type === 'connection.established' && !this.info) {
      const { connection_id, user_id, channels } = frame as unknown as Established;
      this.info = { connection_id, user_id, channels };
      clearTimeout(this.#timer);
      this.#ping();
      this.hooks.ready(this);
      return;
    }
    this.hooks.frame(this, frame);
  }

  #ping(): void {
    if (this.timing.pingIntervalMs <= 0) return;
    this.#timer = setTimeout(() => {
      this.send({ type: 'ping' });
      this.#pongTimer ??= setTimeout(() => this.fail('no pong'), this.timing.pongTimeoutMs);
      this.#ping();
    }, this.timing.pingIntervalMs);
  }

  #finish(info: CloseInfo): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#pongTimer);
    for (const wait of this.#waits.values()) {
      clearTimeout(wait.timer);
      wait.reject(new SwitchboardError('CLOSED', 'connection closed'));
    }
    this.#waits.clear();
    this.hooks.closed(this, this.#status === undefined ? info : { ...info, status: this.#status });
  }
}
