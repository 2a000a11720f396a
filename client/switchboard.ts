import { backoff } from './backoff';
import { type ErrorCode, SwitchboardError } from './codes';
import { type CloseInfo, Connection, type ConnectionHooks } from './connection';
import { Emitter } from './emitter';
import { type FetchLike, getJson } from './http';
import { Subscription, type SubscriptionOwner } from './subscription';
import { tokenExpiry } from './token';
import type {
  Ack,
  Cause,
  ChannelEvent,
  ChannelFrame,
  Established,
  HistoryPage,
  Presence,
  ServerFrame,
  State,
  WebSocketFactory,
  WebSocketLike,
} from './types';

export interface SwitchboardOptions {
  /** Called before every connection attempt (and for HTTP calls' token); null or nothing: anonymous. */
  getToken?: () => string | null | undefined | Promise<string | null | undefined>;
  /** The WebSocket implementation. @default globalThis.WebSocket (browsers; Node 22+) — in Node 20 pass `ws`. */
  WebSocket?: WebSocketFactory;
  /** The HTTP API (history, presence, gap filling). @default the WebSocket URL's origin (the local stack) */
  httpUrl?: string;
  /** @default globalThis.fetch */
  fetch?: FetchLike;
  /** The connection lifetime the server enforces; the client replaces a connection before it. @default 2 h */
  maxLifetimeMs?: number;
  /** The server's idle timeout; heartbeats are planned well inside it. @default 10 min */
  idleTimeoutMs?: number;
  /** How often a `ping` is sent; 0 sends none. @default idleTimeoutMs / 4 */
  pingIntervalMs?: number;
  /** A connection that answers nothing this long after a ping is dead and replaced. @default 15 s */
  pongTimeoutMs?: number;
  /** The longest wait for `connection.established`, a `subscribed`, an `ack`. @default 15 s */
  timeoutMs?: number;
  /** Reconnect backoff floor and ceiling. @default 500 ms, 20 s */
  minReconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
  /** The most publishes that wait for a connection; the next one is rejected QUEUE_FULL. @default 100 */
  maxQueued?: number;
  /** How long a seq gap may wait for the missing frames before they are read from history. @default 500 ms */
  gapWaitMs?: number;
  /** @default Math.random (tests pass their own) */
  random?: () => number;
}

export interface StateChange {
  state: State;
  previous: State;
  /** The close that caused it, when a connection closed. */
  code?: number;
  reason?: string;
}

export interface ConnectedInfo extends Established {
  cause: Cause;
}

export interface FrameTrace {
  direction: 'in' | 'out';
  /** The frame as sent or received. */
  text: string;
  /** Which connection (a number): two overlap while one replaces the other. */
  connection: number;
}

export interface SwitchboardEvents {
  state: StateChange;
  /** A connection is ready, subscriptions renewed on it: the first one, and each that replaced another. */
  connected: ConnectedInfo;
  error: SwitchboardError;
  /** Every frame in and out of every connection (debugging). */
  frame: FrameTrace;
}

export interface PublishOptions {
  /** The message's id for idempotency (up to 64 characters). @default a random UUID */
  id?: string;
}

interface Outgoing {
  ref: string;
  channel: string;
  frame: object;
  /** The connection it went out on and awaits its ack from; none while it waits in the queue. */
  conn?: Connection;
  timer?: ReturnType<typeof setTimeout>;
  /** Waiting to be sent again: the server said its first attempt is still in progress. */
  held?: boolean;
  resolve(ack: Ack): void;
  reject(error: SwitchboardError): void;
}

const DAY_MS = 86_400_000;
const defaults = {
  maxLifetimeMs: 2 * 3_600_000,
  idleTimeoutMs: 600_000,
  pongTimeoutMs: 15_000,
  timeoutMs: 15_000,
  minReconnectDelayMs: 500,
  maxReconnectDelayMs: 20_000,
  maxQueued: 100,
  gapWaitMs: 500,
  random: Math.random,
};
const KNOWN = new Set([
  ...Object.keys(defaults),
  'getToken',
  'WebSocket',
  'httpUrl',
  'fetch',
  'pingIntervalMs',
]);
type Resolved = typeof defaults & Pick<SwitchboardOptions, 'getToken'> & { pingIntervalMs: number };
/** Refused handshakes in a row after which the client stops (the first may be an expired token). */
const MAX_REFUSALS = 2;
/** How long a replaced connection may wait for acks of publishes it carried before it is closed. */
const DRAIN_MS = 2_000;
/** The most history pages read to fill one gap. */
const FILL_PAGES = 10;
const PAGE = 100;

/**
 * Replace a connection this long before it must go: a minute, or half its life when that is shorter (a
 * short lifetime, in tests, leaves a loaded machine time to make the next one).
 */
const margin = (lifeMs: number) => Math.min(60_000, Math.max(0, lifeMs) / 2);

/**
 * A client of the Switchboard WebSocket and HTTP APIs (docs/client.md): reconnects with backoff, replaces
 * connections before their lifetime or token ends (make-before-break), resubscribes with `since`, delivers
 * each channel's messages once and in order, and queues publishes with stable ids while disconnected.
 */
export class Switchboard extends Emitter<SwitchboardEvents> {
  state: State = 'disconnected';
  readonly url: string;
  readonly httpUrl: string;
  #o: Resolved;
  #WebSocket: WebSocketFactory;
  #fetch: FetchLike;
  #primary: Connection | undefined;
  #next: Connection | undefined;
  #opening = false;
  #retiring = new Set<Connection>();
  #subs = new Map<string, Subscription<ChannelFrame>>();
  #outbox: Outgoing[] = [];
  #attempts = 0;
  #refusals = 0;
  #cause: Cause = 'connect';
  #token: string | null = null;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #renewTimer: ReturnType<typeof setTimeout> | undefined;
  #owner: SubscriptionOwner;
  #hooks: ConnectionHooks;

  constructor(url: string, options: SwitchboardOptions = {}) {
    super();
    const unknown = Object.keys(options).filter((key) => !KNOWN.has(key));
    if (unknown.length > 0) throw new TypeError(`unknown option(s): ${unknown.join(', ')}`);
    const ws = new URL(url);
    if (ws.protocol !== 'ws:' && ws.protocol !== 'wss:')
      throw new TypeError(`not a ws:// or wss:// URL: ${url}`);
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    const o = { ...defaults, ...given } as typeof defaults & SwitchboardOptions;
    this.#o = { ...o, pingIntervalMs: o.pingIntervalMs ?? o.idleTimeoutMs / 4 };
    const WebSocket = o.WebSocket ?? (globalThis.WebSocket as WebSocketFactory | undefined);
    if (!WebSocket) throw new TypeError('no global WebSocket: pass options.WebSocket (in Node, `ws`)');
    this.#WebSocket = WebSocket;
    this.#fetch = o.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.url = url;
    this.httpUrl = (o.httpUrl ?? ws.origin.replace(/^ws/, 'http')).replace(/\/$/, '');
    this.#owner = {
      remove: (sub) => this.#remove(sub),
      fill: (channel, since, upTo) => this.#fill(channel, since, upTo),
      gapWaitMs: o.gapWaitMs,
    };
    this.#hooks = {
      open: (conn) => {
        // Subscribing right away, not after `connection.established`, saves the replacement a round trip.
        if (conn === this.#next) for (const sub of this.#subs.values()) void this.#subscribeOn(conn, sub);
      },
      ready: (conn) => this.#ready(conn),
      frame: (conn, frame) => this.#frame(conn, frame),
      closed: (conn, info) => this.#closed(conn, info),
      traffic: (conn, direction, text) => {
        if (this.listens('frame')) this.emit('frame', { direction, text, connection: conn.n });
      },
    };
  }

  /** Starts connecting (and reconnecting until `close()`, or until the handshake is refused). */
  connect(): void {
    if (this.state === 'closed')
      throw new SwitchboardError('CLOSED', 'this client was closed: create another');
    if (this.state !== 'disconnected') return;
    this.#attempts = 0;
    this.#refusals = 0;
    this.#cause = 'connect';
    this.#setState('connecting');
    void this.#open();
  }

  /** Closes every connection for good: subscriptions end, waiting publishes are rejected CLOSED. */
  close(): void {
    if (this.state === 'closed') return;
    this.#halt('closed', new SwitchboardError('CLOSED', 'the client was closed'));
    for (const sub of this.#subs.values()) sub.end();
    this.#subs.clear();
  }

  /**
   * Subscribes now, or as soon as connected, and after every reconnect with `since` = the newest seq
   * delivered. `since` here recovers what came after that seq (history channels).
   */
  subscribe<E extends ChannelFrame = ChannelEvent>(
    channel: string,
    options: { since?: number } = {},
  ): Subscription<E> {
    if (this.state === 'closed') throw new SwitchboardError('CLOSED', 'the client was closed');
    if (this.#subs.has(channel))
      throw new SwitchboardError('ALREADY_SUBSCRIBED', `already subscribed to ${channel}`);
    const sub = new Subscription<ChannelFrame>(channel, options.since, this.#owner);
    this.#subs.set(channel, sub);
    for (const conn of [this.#primary, this.#next]) if (conn?.usable) void this.#subscribeOn(conn, sub);
    return sub as unknown as Subscription<E>;
  }

  getSubscription(channel: string): Subscription | undefined {
    return this.#subs.get(channel) as Subscription | undefined;
  }

  /**
   * Publishes `data` to a channel; resolves with the `ack`, rejects with the server's code. While not
   * connected it waits in the queue (at most `maxQueued`); a publish whose connection dropped before its
   * ack is sent again with the same `id`, which the server stores and delivers only once.
   */
  publish(channel: string, data: Record<string, unknown>, options: PublishOptions = {}): Promise<Ack> {
    if (this.state === 'closed')
      return Promise.reject(new SwitchboardError('CLOSED', 'the client was closed'));
    const queued = this.#outbox.filter((p) => !p.conn).length;
    if (!this.#primary && queued >= this.#o.maxQueued) {
      return Promise.reject(
        new SwitchboardError('QUEUE_FULL', `${queued} publishes already wait for a connection`),
      );
    }
    const ref = options.id ?? newId();
    return new Promise((resolve, reject) => {
      this.#outbox.push({
        ref,
        channel,
        frame: { type: 'publish', channel, data, id: ref },
        resolve,
        reject,
      });
      this.#flush();
    });
  }

  /** Sends any frame as it is on the current connection (the console's escape hatch): no queue, no retry. */
  send(frame: object | string): boolean {
    return this.#primary?.sendText(typeof frame === 'string' ? frame : JSON.stringify(frame)) ?? false;
  }

  /** `GET /v1/channels/{channel}/history`: stored messages after `since`, oldest first. */
  history<E extends ChannelFrame = ChannelEvent>(
    channel: string,
    options: { since?: number; limit?: number } = {},
  ): Promise<HistoryPage<E>> {
    const query = new URLSearchParams();
    if (options.since !== undefined) query.set('since', String(options.since));
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    return this.#get(`${encodeURIComponent(channel)}/history?${query}`);
  }

  /** `GET /v1/channels/{channel}/presence`. */
  presence(channel: string): Promise<Presence> {
    return this.#get(`${encodeURIComponent(channel)}/presence`);
  }

  /** With the current connection's token; before the first connection, one from `getToken`. */
  async #get<T>(path: string): Promise<T> {
    const token = this.#token ?? (await this.#o.getToken?.()) ?? null;
    return getJson(this.#fetch, `${this.httpUrl}/v1/channels/${path}`, token);
  }

  // -------------------------------------------------------------------------------------------------
  // Connections: `#next` is being made (a reconnect, or the replacement of `#primary`), `#primary` carries
  // the traffic, `#retiring` were replaced and close once their publishes are acked.

  #active(): boolean {
    return this.state === 'connecting' || this.state === 'connected';
  }

  async #open(): Promise<void> {
    clearTimeout(this.#reconnectTimer);
    if (this.#next || this.#opening || !this.#active()) return;
    this.#opening = true;
    let token: string | null;
    try {
      token = (await this.#o.getToken?.()) ?? null;
    } catch (error) {
      this.#opening = false;
      this.emit('error', new SwitchboardError('TOKEN', `getToken failed: ${(error as Error)?.message}`));
      if (this.#active()) this.#retry();
      return;
    }
    this.#opening = false;
    if (this.#next || !this.#active()) return;
    this.#token = token;
    const url = new URL(this.url);
    // Browsers cannot set headers on a WebSocket: the token goes in the query (PROTOCOL.md section 2).
    if (token) url.searchParams.set('token', token);
    let socket: WebSocketLike;
    try {
      socket = new this.#WebSocket(url.toString());
    } catch (error) {
      // Not a network failure: nothing a retry would change.
      const failure = new SwitchboardError('TRANSPORT', `no WebSocket: ${(error as Error)?.message}`);
      this.#halt('disconnected', failure);
      this.emit('error', failure);
      return;
    }
    this.#next = new Connection(socket, this.#hooks, this.#o);
  }

  #retry(): void {
    const { minReconnectDelayMs: min, maxReconnectDelayMs: max, random } = this.#o;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => void this.#open(), backoff(this.#attempts++, min, max, random));
  }

  #ready(conn: Connection): void {
    if (conn !== this.#next) {
      conn.close();
      return;
    }
    this.#attempts = 0;
    this.#refusals = 0;
    this.#promoteWhenReady(conn);
  }

  /** Make before break: the new connection takes over once every subscription is in place on it. */
  #promoteWhenReady(conn: Connection): void {
    if (conn === this.#next && conn.info && !conn.waiting && !conn.done) this.#promote(conn);
  }

  #subscribeOn(conn: Connection, sub: Subscription<ChannelFrame>): Promise<void> {
    return conn.subscribe(sub.channel, sub.order.last).catch((error: SwitchboardError) => {
      if (error.code === 'TIMEOUT') conn.fail('no subscribed');
      else if (error.code !== 'CLOSED' && this.#subs.get(sub.channel) === sub) {
        this.#subs.delete(sub.channel);
        sub.end(error);
      }
    });
  }

  #promote(conn: Connection): void {
    const old = this.#primary;
    this.#primary = conn;
    this.#next = undefined;
    this.#setState('connected');
    this.emit('connected', { ...(conn.info as Established), cause: this.#cause });
    this.#cause = 'reconnect';
    this.#scheduleRenewal(conn);
    if (old) {
      this.#retiring.add(old);
      if (!this.#carries(old)) old.close(1000, 'replaced');
      else setTimeout(() => old.close(1000, 'replaced'), DRAIN_MS);
    }
    this.#flush();
  }

  /** Opens the replacement before the connection's lifetime or its token ends, whichever comes first. */
  #scheduleRenewal(conn: Connection): void {
    clearTimeout(this.#renewTimer);
    const now = Date.now();
    const lifetimeAt = conn.openedAt + this.#o.maxLifetimeMs - margin(this.#o.maxLifetimeMs);
    const exp = tokenExpiry(this.#token);
    const tokenAt = exp === null ? Number.POSITIVE_INFINITY : exp - margin(exp - now);
    const at = Math.min(lifetimeAt, tokenAt, now + DAY_MS);
    this.#renewTimer = setTimeout(
      () => {
        if (this.#primary !== conn || this.#next) return;
        this.#cause = tokenAt < lifetimeAt ? 'token' : 'lifetime';
        void this.#open();
      },
      Math.max(0, at - now),
    );
  }

  #closed(conn: Connection, info: CloseInfo): void {
    for (const p of this.#outbox) {
      if (p.conn !== conn) continue;
      p.conn = undefined;
      clearTimeout(p.timer);
    }
    if (this.#retiring.delete(conn)) {
      this.#flush();
      return;
    }
    if (!this.#active()) return;
    if (conn === this.#primary) {
      this.#primary = undefined;
      clearTimeout(this.#renewTimer);
      this.#cause = 'reconnect';
      this.#setState('connecting', info);
      // A replacement already under way carries on as the reconnect.
      if (!this.#next && !this.#opening) this.#retry();
    } else if (conn === this.#next) {
      this.#next = undefined;
      void this.#failed(info);
    }
  }

  /** An attempt failed before it was ready: back off, or stop when the server keeps refusing it. */
  async #failed(info: CloseInfo): Promise<void> {
    const refused = !info.opened && (await this.#refused(info));
    if (!this.#active() || this.#next || this.#opening) return;
    this.#refusals = refused ? this.#refusals + 1 : 0;
    if (this.#refusals >= MAX_REFUSALS && !this.#primary) {
      const status = info.status === undefined ? '' : ` (HTTP ${info.status})`;
      const error = new SwitchboardError('REFUSED', `the server refused the handshake${status}`, {
        ...(info.status === undefined ? {} : { status: info.status }),
      });
      this.#halt('disconnected', error);
      this.emit('error', error);
      return;
    }
    this.#retry();
  }

  /**
   * Whether a handshake that never opened was refused (401/403) rather than lost to the network. `ws`
   * says the status; browsers hide it, so the client asks the same host over HTTP: an answer of any kind
   * (`no-cors`: its status cannot be read, and need not be) means the server is up and said no.
   */
  async #refused(info: CloseInfo): Promise<boolean> {
    if (info.status !== undefined) return info.status === 401 || info.status === 403;
    try {
      await this.#fetch(this.url.replace(/^ws/, 'http'), {
        mode: 'no-cors',
        cache: 'no-store',
        signal: AbortSignal.timeout(this.#o.timeoutMs),
      });
      return true;
    } catch {
      return false;
    }
  }

  #halt(state: State, error: SwitchboardError): void {
    clearTimeout(this.#reconnectTimer);
    clearTimeout(this.#renewTimer);
    this.#setState(state, { code: 1000, reason: error.message });
    const conns = [this.#primary, this.#next, ...this.#retiring];
    this.#primary = this.#next = undefined;
    this.#retiring.clear();
    for (const conn of conns) conn?.close(1000, 'client closed');
    for (const p of this.#outbox.splice(0)) {
      clearTimeout(p.timer);
      p.reject(error);
    }
  }

  #setState(state: State, close?: { code: number; reason: string }): void {
    const previous = this.state;
    if (previous === state) return;
    this.state = state;
    this.emit('state', { state, previous, ...(close ? { code: close.code, reason: close.reason } : {}) });
  }

  // -------------------------------------------------------------------------------------------------
  // Frames, publishes, subscriptions

  #frame(conn: Connection, frame: ServerFrame): void {
    const { type, channel, ref } = frame;
    if (type === 'ack') {
      this.#settle(ref as string, frame);
    } else if (type === 'error') {
      const error = new SwitchboardError((frame.code ?? 'INTERNAL') as ErrorCode, String(frame.message), {
        ...(typeof ref === 'string' ? { ref } : {}),
        ...(typeof frame.retry_after_ms === 'number' ? { retryAfterMs: frame.retry_after_ms } : {}),
      });
      if (
        error.code === 'IDEMPOTENCY_KEY_IN_USE' &&
        typeof ref === 'string' &&
        this.#resendLater(ref, error)
      ) {
        return;
      }
      const mine =
        typeof ref === 'string' &&
        (this.#settle(ref, undefined, error) || conn.settle(undefined, ref, error));
      if (!mine) this.emit('error', error);
      this.#promoteWhenReady(conn);
      this.#flush();
    } else if (type === 'subscribed') {
      this.#subs.get(channel as string)?.confirmed(frame);
      conn.settle(channel as string);
      this.#promoteWhenReady(conn);
      this.#flush();
    } else if (type === undefined && typeof frame.message === 'string') {
      // API Gateway's own answer when the integration failed: {"message": "Internal server error", …}.
      this.emit('error', new SwitchboardError('INTERNAL', frame.message));
    } else if (typeof channel === 'string' && typeof frame.id === 'string') {
      this.#subs.get(channel)?.order.push(frame as unknown as ChannelFrame);
    }
  }

  /** Settles the publish with that ref: true when there was one. */
  #settle(ref: string, ack?: ServerFrame, error?: SwitchboardError): boolean {
    const i = this.#outbox.findIndex((p) => p.ref === ref);
    const p = this.#outbox[i];
    if (!p) return false;
    this.#outbox.splice(i, 1);
    clearTimeout(p.timer);
    if (error || !ack) p.reject(error ?? new SwitchboardError('TIMEOUT', `no ack for ${ref}`, { ref }));
    else {
      p.resolve({
        id: ack.id as string,
        ref,
        channel: ack.channel as string,
        ...(typeof ack.seq === 'number' ? { seq: ack.seq } : {}),
        status: ack.status === 'queued' ? 'queued' : 'delivered',
        duplicate: ack.duplicate === true,
      });
    }
    // A replaced connection closes as soon as it carries no publish any more.
    if (p.conn && this.#retiring.has(p.conn) && !this.#carries(p.conn)) p.conn.close(1000, 'replaced');
    return true;
  }

  /**
   * A publish whose first attempt is still in progress on the server (sent again after a reconnect while
   * the first was at work, or after the server restarted): it stays queued and goes again after the
   * server's `retry_after_ms`, until it is acked (stored once, or answered duplicate) or times out.
   */
  #resendLater(ref: string, error: SwitchboardError): boolean {
    const p = this.#outbox.find((o) => o.ref === ref);
    if (!p) return false;
    clearTimeout(p.timer);
    const conn = p.conn;
    delete p.conn;
    p.held = true;
    p.timer = setTimeout(() => {
      delete p.timer;
      p.held = false;
      this.#flush();
    }, error.retryAfterMs ?? 1000);
    if (conn && this.#retiring.has(conn) && !this.#carries(conn)) conn.close(1000, 'replaced');
    return true;
  }

  #carries(conn: Connection): boolean {
    return this.#outbox.some((p) => p.conn === conn);
  }

  /**
   * Sends every publish that waits, on the current connection; one to a channel whose `subscribe` is not
   * answered yet waits for it (the server handles frames concurrently: it could come first and be refused
   * NOT_SUBSCRIBED).
   */
  #flush(): void {
    const conn = this.#primary;
    if (!conn) return;
    for (const p of this.#outbox) {
      if (p.conn || p.held || conn.subscribing(p.channel) || !conn.send(p.frame)) continue;
      p.conn = conn;
      p.timer = setTimeout(() => this.#settle(p.ref), this.#o.timeoutMs);
    }
  }

  #remove(sub: Subscription<ChannelFrame>): void {
    if (this.#subs.get(sub.channel) !== sub) return;
    this.#subs.delete(sub.channel);
    for (const conn of [this.#primary, this.#next]) {
      if (conn?.usable) conn.send({ type: 'unsubscribe', channel: sub.channel });
    }
    sub.end();
  }

  /** Reads history pages after `since` until `upTo` is covered, for a gap in a channel's seq. */
  async #fill(channel: string, since: number, upTo: number): Promise<ChannelFrame[]> {
    const frames: ChannelFrame[] = [];
    for (
      let from: number | null = since, pages = 0;
      from !== null && from < upTo && pages < FILL_PAGES;
      pages++
    ) {
      const page: HistoryPage<ChannelFrame> = await this.history(channel, { since: from, limit: PAGE });
      frames.push(...page.messages);
      from = page.next;
    }
    return frames;
  }
}

/** crypto.randomUUID exists only in secure contexts (not on a LAN address over http://). */
function newId(): string {
  return (
    globalThis.crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`
  );
}
