import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';

/**
 * A WebSocket client for tests: frames are JSON, buffered as they arrive, and taken out by `next(…)`.
 * The server dispatches frames concurrently (as API Gateway does), so a test that needs order waits for
 * each reply before it sends the next frame.
 */
export type Frame = { type?: string } & Record<string, unknown>;

export interface ConnectOptions {
  token?: string;
  channels?: string[];
  protocols?: string[];
  headers?: Record<string, string>;
}

export interface Refusal {
  status: number;
  body: string;
}

const WAIT_MS = 10_000;

export function connectUrl(wsUrl: string, options: ConnectOptions = {}): string {
  const url = new URL(wsUrl);
  if (options.token) url.searchParams.set('token', options.token);
  if (options.channels) url.searchParams.set('channels', options.channels.join(','));
  return url.toString();
}

export class TestClient {
  readonly frames: Frame[] = [];
  /** Text frames that were not JSON (the emulator's own errors are JSON; nothing should land here). */
  readonly raw: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const text = data.toString();
      if (isBinary) this.raw.push(text);
      else
        try {
          this.frames.push(JSON.parse(text) as Frame);
        } catch {
          this.raw.push(text);
        }
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        for (const wake of this.#waiters.splice(0)) wake();
      });
    });
  }

  static connect(wsUrl: string, options: ConnectOptions = {}): Promise<TestClient> {
    const ws = new WebSocket(connectUrl(wsUrl, options), options.protocols ?? [], {
      ...(options.headers ? { headers: options.headers } : {}),
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new TestClient(ws)));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res: IncomingMessage) =>
        reject(new Error(`handshake refused: ${res.statusCode}`)),
      );
    });
  }

  /** Connects expecting a refusal; resolves with the HTTP status and body of the handshake response. */
  static refused(wsUrl: string, options: ConnectOptions = {}): Promise<Refusal> {
    const ws = new WebSocket(connectUrl(wsUrl, options), options.protocols ?? [], {
      ...(options.headers ? { headers: options.headers } : {}),
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        ws.terminate();
        reject(new Error('the handshake was accepted'));
      });
      ws.once('unexpected-response', (_req, res: IncomingMessage) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      ws.once('error', () => {});
    });
  }

  send(frame: Frame | string): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The first buffered (or next arriving) frame that matches, removed from the buffer. */
  async next(match: (f: Frame) => boolean = () => true, what = 'a frame'): Promise<Frame> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const i = this.frames.findIndex(match);
      if (i !== -1) return this.frames.splice(i, 1)[0]!;
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`closed while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no ${what} within ${WAIT_MS} ms; buffered: ${JSON.stringify(this.frames)}`);
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          wake();
        });
      });
    }
  }

  nextOfType(type: string, match: (f: Frame) => boolean = () => true): Promise<Frame> {
    return this.next((f) => f.type === type && match(f), `a "${type}" frame`);
  }

  /** Sends a frame and waits for the reply of the given type. */
  async request(frame: Frame | string, replyType: string): Promise<Frame> {
    this.send(frame);
    return this.nextOfType(replyType);
  }

  /**
   * Everything that arrived before a ping's pong, removed from the buffer. Frames posted to this connection
   * before the ping was sent are on the socket ahead of the pong, so this proves what was (not) delivered.
   */
  async sync(): Promise<Frame[]> {
    const mark = `sync-${randomUUID()}`;
    this.send({ type: 'ping', timestamp: mark });
    await this.nextOfType('pong', (f) => f.timestamp === mark);
    return this.frames.splice(0);
  }

  async hello(): Promise<Frame> {
    return this.request({ type: 'hello' }, 'connection.established');
  }

  close(code?: number, reason?: string): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason);
    return this.closed;
  }
}

/** A name no other test uses: `room:t-1a2b3c…`. */
export const unique = (prefix: string): string => `${prefix}t-${randomUUID().slice(0, 12)}`;

/** Clients a test opens, closed together in its afterEach. */
export function clientPool() {
  const open: TestClient[] = [];
  return {
    async connect(...args: Parameters<typeof TestClient.connect>): Promise<TestClient> {
      const client = await TestClient.connect(...args);
      open.push(client);
      return client;
    },
    closeAll: () => Promise.all(open.splice(0).map((c) => c.close())),
  };
}
