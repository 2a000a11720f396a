import type { FetchLike, WebSocketFactory, WebSocketLike } from '../../../client/index';
import type { SocketEvent } from '../../../client/types';

/**
 * An in-memory Switchboard for the client's unit tests: `server.WebSocket` goes in the client's
 * `WebSocket` option, `server.fetch` in its `fetch` option. It answers frames as docs/PROTOCOL.md says
 * (hello, ping, subscribe with `since` and replay, unsubscribe, publish with `id` idempotency), keeps a seq
 * and history per channel, and serves HTTP history and presence. Everything it does goes through
 * setTimeout (`latencyMs`), so a test drives it with vitest's fake timers (`vi.advanceTimersByTimeAsync`).
 *
 * How to extend it (most to least common):
 *  - push an event to subscribers:       server.publish('room:a', { type: 'api_message', message: 'hi' })
 *  - push one frame to one socket as is: socket.push({ type: 'api_message', channel, id, seq, ... })
 *  - answer a frame your own way:        server.intercept = (socket, frame) => { ...; return true } (false
 *                                        falls through to the default answer)
 *  - refuse handshakes:                  server.refuse = 401 (`ws` style: the status is in the error event;
 *                                        set server.hideStatus for a browser's bare 1006)
 *  - end a connection:                   socket.drop() (no close frame, 1006), socket.serverClose(1001)
 *  - a half-open connection:             socket.mute = true (frames from the client vanish)
 *  - the network down for HTTP:          server.httpDown = true (fetch rejects, as on a network failure)
 *  - what the client sent:               server.received (every frame, with its socket)
 * Channels whose name starts with `live` keep no history (no seq), like PROTOCOL.md's `live`/`counter:`.
 */

type Frame = { type?: string } & Record<string, unknown>;
type Listener = (event: SocketEvent) => void;

interface ChannelState {
  seq: number;
  history: Frame[];
  ids: Map<string, Frame>;
}

export class FakeServer {
  latencyMs = 1;
  refuse: number | undefined;
  hideStatus = false;
  httpDown = false;
  intercept: ((socket: FakeSocket, frame: Frame) => boolean) | undefined;
  readonly sockets: FakeSocket[] = [];
  readonly received: { socket: FakeSocket; frame: Frame }[] = [];
  readonly httpRequests: string[] = [];
  readonly channels = new Map<string, ChannelState>();
  #ids = 0;

  /** The class to pass as the client's `WebSocket` option. */
  readonly WebSocket: WebSocketFactory;

  constructor() {
    const server = this;
    this.WebSocket = class extends FakeSocket {
      constructor(url: string) {
        super(server, url);
      }
    };
  }

  /** Sockets that are open now. */
  get open(): FakeSocket[] {
    return this.sockets.filter((s) => s.readyState === 1);
  }

  /** The newest socket. */
  get last(): FakeSocket {
    const socket = this.sockets.at(-1);
    if (!socket) throw new Error('no socket yet');
    return socket;
  }

  /** Frames of a type the client sent, oldest first. */
  sent(type: string): Frame[] {
    return this.received.filter((r) => r.frame.type === type).map((r) => r.frame);
  }

  channel(name: string): ChannelState {
    let state = this.channels.get(name);
    if (!state) {
      state = { seq: 0, history: [], ids: new Map() };
      this.channels.set(name, state);
    }
    return state;
  }

  keepsHistory(channel: string): boolean {
    return !channel.startsWith('live');
  }

  /** Stores (with the next seq) and fans out an event, as a publish does; returns the frame. */
  publish(channel: string, fields: Frame, options: { deliver?: boolean } = {}): Frame {
    const state = this.channel(channel);
    const id = `m${++this.#ids}`;
    const seq = this.keepsHistory(channel) ? ++state.seq : undefined;
    const frame = {
      ...fields,
      type: fields.type ?? 'publication',
      channel,
      id,
      timestamp: new Date().toISOString(),
      ...(seq === undefined ? {} : { seq }),
    };
    if (seq !== undefined) state.history.push(frame);
    if (options.deliver !== false) for (const s of this.open) if (s.channels.has(channel)) s.push(frame);
    return frame;
  }

  /** The client's `fetch`: HTTP history and presence; anything else (the refusal probe) gets a 404. */
  readonly fetch: FetchLike = async (url) => {
    this.httpRequests.push(url);
    if (this.httpDown) throw new TypeError('fetch failed');
    const { pathname, searchParams } = new URL(url);
    const match = /^\/v1\/channels\/([^/]+)\/(history|presence)$/.exec(pathname);
    const respond = (status: number, body: unknown) => ({
      ok: status < 300,
      status,
      json: async () => body,
    });
    if (!match) return respond(404, { message: 'Not Found' });
    const channel = decodeURIComponent(match[1] ?? '');
    if (match[2] === 'presence') {
      const count = this.open.filter((s) => s.channels.has(channel)).length;
      return respond(200, { channel, count, users: [], anonymous: count });
    }
    const since = Number(searchParams.get('since') ?? 0);
    const limit = Number(searchParams.get('limit') ?? 50);
    const after = this.channel(channel).history.filter((f) => (f.seq as number) > since);
    const messages = after.slice(0, limit);
    const next = after.length > limit ? (messages.at(-1)?.seq as number) : null;
    return respond(200, { channel, messages, next });
  };

  /** The default answer to each frame (PROTOCOL.md section 3): the frames it sends back, in order. */
  answer(socket: FakeSocket, frame: Frame): Frame[] {
    const channel = frame.channel as string;
    const now = new Date().toISOString();
    switch (frame.type) {
      case 'hello':
        return [
          {
            type: 'connection.established',
            connection_id: socket.connectionId,
            user_id: null,
            channels: [],
            timestamp: now,
          },
        ];
      case 'ping':
        return [{ type: 'pong', timestamp: frame.timestamp ?? now }];
      case 'subscribe': {
        socket.channels.add(channel);
        if (!this.keepsHistory(channel)) return [{ type: 'subscribed', channel }];
        const { seq, history } = this.channel(channel);
        const since = frame.since;
        if (typeof since !== 'number') return [{ type: 'subscribed', channel, seq }];
        return [
          { type: 'subscribed', channel, seq, recovered: true },
          ...history.filter((f) => (f.seq as number) > since),
        ];
      }
      case 'unsubscribe':
        socket.channels.delete(channel);
        return [{ type: 'unsubscribed', channel }];
      case 'publish': {
        const state = this.channel(channel);
        const ref = frame.id as string;
        const first = state.ids.get(ref);
        if (first) {
          return [
            { type: 'ack', id: first.id, ref, channel, seq: first.seq, status: 'delivered', duplicate: true },
          ];
        }
        const published = this.publish(channel, { type: 'publication', sender: null, data: frame.data });
        state.ids.set(ref, published);
        return [{ type: 'ack', id: published.id, ref, channel, seq: published.seq, status: 'delivered' }];
      }
      default:
        return [{ type: 'error', code: 'UNKNOWN_TYPE', message: 'unknown type', ref: frame.id }];
    }
  }

  /** Runs a step `latencyMs` from now, as the network would. */
  later(step: () => void): void {
    setTimeout(step, this.latencyMs);
  }
}

/** One socket, both ends: the client's WebSocket and what the server knows of it. */
export class FakeSocket implements WebSocketLike {
  readyState = 0;
  mute = false;
  readonly channels = new Set<string>();
  readonly connectionId: string;
  readonly token: string | null;
  #listeners = new Map<string, Listener[]>();

  constructor(
    private readonly server: FakeServer,
    readonly url: string,
  ) {
    server.sockets.push(this);
    this.connectionId = `c${server.sockets.length}`;
    this.token = new URL(url).searchParams.get('token');
    server.later(() => {
      if (this.readyState !== 0) return;
      if (server.refuse === undefined) {
        this.readyState = 1;
        this.#emit({ type: 'open' });
        return;
      }
      const message = server.hideStatus ? '' : `Unexpected server response: ${server.refuse}`;
      this.#emit({ type: 'error', message });
      this.#end(1006, '');
    });
  }

  addEventListener(type: string, listener: Listener): void {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open');
    if (this.mute) return;
    const frame = JSON.parse(data) as Frame;
    this.server.received.push({ socket: this, frame });
    this.server.later(() => {
      if (this.readyState !== 1) return;
      if (this.server.intercept?.(this, frame)) return;
      for (const reply of this.server.answer(this, frame)) this.push(reply);
    });
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState >= 2) return;
    this.readyState = 2;
    this.server.later(() => this.#end(code, reason));
  }

  /** A frame from the server to this socket, `latencyMs` from now. */
  push(frame: Frame): void {
    if (this.mute) return;
    this.server.later(() => {
      if (this.readyState === 1) this.#emit({ type: 'message', data: JSON.stringify(frame) });
    });
  }

  /** The connection dies without a close frame (TCP reset): the client sees 1006 at once. */
  drop(): void {
    this.#end(1006, '');
  }

  /** The server closes it (1001: lifetime or idle timeout, as API Gateway does). */
  serverClose(code = 1001, reason = 'Going away'): void {
    this.server.later(() => this.#end(code, reason));
  }

  #end(code: number, reason: string): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.channels.clear();
    this.#emit({ type: 'close', code, reason });
  }

  #emit(event: SocketEvent): void {
    for (const listener of this.#listeners.get(event.type) ?? []) listener(event);
  }
}

/** A JWT-shaped token (unsigned: the client only reads `exp`). */
export function fakeJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none' })}.${part(claims)}.sig`;
}
