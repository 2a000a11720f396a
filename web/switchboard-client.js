// Generated from client/ by `npm run build:client`: edit client/*.ts, not this file.

// client/codes.ts
var SwitchboardError = class extends Error {
  constructor(code, message, details = {}) {
    super(message);
    this.code = code;
    Object.assign(this, details);
  }
  code;
  name = "SwitchboardError";
  status;
  ref;
  lost;
  retryAfterMs;
};

// client/channel-order.ts
var VOID = "void";
var REFILL_DELAYS_MS = [250, 500, 1e3];
var MAX_HELD = 1e3;
var MAX_IDS = 500;
var ChannelOrder = class {
  constructor(deps, since) {
    this.deps = deps;
    this.last = since;
  }
  deps;
  /** The newest seq delivered, or the start of the subscription; undefined until `subscribed` says. */
  last;
  /** The newest seq the server said exists (`subscribed.seq`): a replay or history brings the rest. */
  #expected = 0;
  #held = /* @__PURE__ */ new Map();
  #ids = /* @__PURE__ */ new Set();
  #filling = false;
  #stopped = false;
  /** `subscribed`: a fresh subscription starts at its seq; a resumed one learns what to expect. */
  started(seq) {
    if (seq === void 0) return;
    if (this.last === void 0) this.last = seq;
    else this.#expected = Math.max(this.#expected, seq);
    this.#drain();
  }
  push(frame) {
    const { seq } = frame;
    if (typeof seq !== "number") {
      if (this.#ids.has(frame.id)) return;
      this.#ids.add(frame.id);
      if (this.#ids.size > MAX_IDS) this.#ids.delete(this.#ids.values().next().value);
      this.deps.deliver(frame);
      return;
    }
    if (this.last !== void 0 && seq <= this.last) return;
    this.#held.set(seq, frame);
    if (this.#held.size > MAX_HELD) this.#skip();
    this.#drain();
  }
  stop() {
    this.#stopped = true;
    this.#held.clear();
  }
  #drain() {
    if (this.last === void 0 || this.#stopped) return;
    for (let next = this.#held.get(this.last + 1); next; next = this.#held.get(this.last + 1)) {
      this.#held.delete(++this.last);
      if (next.type === VOID) continue;
      this.deps.deliver(next);
      if (this.#stopped) return;
    }
    for (const seq of this.#held.keys()) if (seq <= this.last) this.#held.delete(seq);
    if (this.#gap() && !this.#filling) void this.#fill();
  }
  #gap() {
    return this.last !== void 0 && (this.#held.size > 0 || this.#expected > this.last);
  }
  #target() {
    return Math.max(this.#expected, ...this.#held.keys());
  }
  async #fill() {
    this.#filling = true;
    for (const delay of [this.deps.gapWaitMs, ...REFILL_DELAYS_MS]) {
      await new Promise((wake) => setTimeout(wake, delay));
      if (this.#stopped || !this.#gap()) break;
      const frames = await this.deps.fill(this.last, this.#target()).catch(() => []);
      for (const frame of frames) this.push(frame);
      if (!this.#gap()) break;
    }
    this.#filling = false;
    if (this.#stopped || !this.#gap()) return;
    this.#skip();
    this.#drain();
  }
  /** Gives up the oldest gap: reports it lost and moves past it. */
  #skip() {
    const { last } = this;
    const to = this.#held.size > 0 ? Math.min(...this.#held.keys()) - 1 : this.#expected;
    this.last = to;
    if (last !== void 0 && to > last) this.deps.lost(last + 1, to);
  }
};

// client/emitter.ts
var Emitter = class {
  #listeners = /* @__PURE__ */ new Map();
  on(event, listener) {
    const set = this.#listeners.get(event) ?? /* @__PURE__ */ new Set();
    this.#listeners.set(event, set);
    set.add(listener);
    return () => this.off(event, listener);
  }
  off(event, listener) {
    this.#listeners.get(event)?.delete(listener);
  }
  emit(event, value) {
    for (const listener of this.#listeners.get(event) ?? []) {
      try {
        listener(value);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
  /** Whether anyone listens: the debug `frame` event is only built then. */
  listens(event) {
    return (this.#listeners.get(event)?.size ?? 0) > 0;
  }
};

// client/subscription.ts
var Subscription = class extends Emitter {
  constructor(channel, since, owner) {
    super();
    this.channel = channel;
    this.owner = owner;
    this.order = new ChannelOrder(
      {
        deliver: (frame) => this.emit("publication", frame),
        fill: (from, upTo) => owner.fill(channel, from, upTo),
        lost: (from, to) => this.emit(
          "error",
          new SwitchboardError("MESSAGES_LOST", `${channel}: messages ${from}..${to} are not in history`, {
            lost: [from, to]
          })
        ),
        gapWaitMs: owner.gapWaitMs
      },
      since
    );
  }
  channel;
  owner;
  state = "subscribing";
  /** @internal */
  order;
  /** The newest seq delivered (history channels): where a subscription made later would start `since`. */
  get seq() {
    return this.order.last;
  }
  unsubscribe() {
    this.owner.remove(this);
  }
  /** @internal `subscribed` arrived on a connection. */
  confirmed(frame) {
    if (this.state === "unsubscribed") return;
    const seq = typeof frame.seq === "number" ? frame.seq : void 0;
    this.state = "subscribed";
    this.emit("subscribed", {
      channel: this.channel,
      ...seq === void 0 ? {} : { seq },
      ...typeof frame.recovered === "boolean" ? { recovered: frame.recovered } : {}
    });
    this.order.started(seq);
  }
  /** @internal The subscription is over, refused (with the error) or ended on purpose. */
  end(error) {
    if (this.state === "unsubscribed") return;
    this.state = "unsubscribed";
    this.order.stop();
    if (error) this.emit("error", error);
    this.emit("unsubscribed", { channel: this.channel });
  }
};

// client/backoff.ts
function backoff(attempt, minMs, maxMs, random) {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 31));
  return Math.min(maxMs, minMs + Math.floor(random() * (ceiling + 1)));
}

// client/connection.ts
var CLOSE_DEAD = 4e3;
var OPEN = 1;
var REFUSED_STATUS = /Unexpected server response: (\d{3})/;
var serial = 0;
var Connection = class {
  constructor(ws, hooks, timing) {
    this.ws = ws;
    this.hooks = hooks;
    this.timing = timing;
    this.#timer = setTimeout(() => this.fail("no connection.established"), timing.timeoutMs);
    ws.addEventListener("open", () => {
      if (this.#done) return;
      this.#opened = true;
      this.openedAt = Date.now();
      this.send({ type: "hello" });
      hooks.open(this);
    });
    ws.addEventListener("message", (event) => this.#message(event));
    ws.addEventListener("error", (event) => {
      const status = REFUSED_STATUS.exec(event.message ?? "")?.[1];
      if (status) this.#status = Number(status);
    });
    ws.addEventListener(
      "close",
      (event) => this.#finish({ code: event.code ?? 1006, reason: event.reason ?? "", opened: this.#opened })
    );
  }
  ws;
  hooks;
  timing;
  /** A number for debugging: which connection a frame came on. */
  n = ++serial;
  openedAt = 0;
  info;
  #done = false;
  #opened = false;
  #status;
  #timer;
  #pongTimer;
  #waits = /* @__PURE__ */ new Map();
  #refs = 0;
  get done() {
    return this.#done;
  }
  /** Open and not given up: frames can go out. */
  get usable() {
    return this.#opened && !this.#done;
  }
  /** Whether any `subscribe` awaits its answer. */
  get waiting() {
    return this.#waits.size > 0;
  }
  send(frame) {
    return this.sendText(JSON.stringify(frame));
  }
  sendText(text) {
    if (this.#done || this.ws.readyState !== OPEN) return false;
    this.ws.send(text);
    this.hooks.traffic(this, "out", text);
    return true;
  }
  /** Sends `subscribe`; settles on `subscribed` (see `settle`), an error with its ref, or the timeout. */
  subscribe(channel, since) {
    const ref = `s${this.n}.${++this.#refs}`;
    this.#waits.get(channel)?.reject(new SwitchboardError("CLOSED", "superseded"));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waits.delete(channel);
        reject(
          new SwitchboardError("TIMEOUT", `no subscribed for ${channel} in ${this.timing.timeoutMs} ms`)
        );
      }, this.timing.timeoutMs);
      this.#waits.set(channel, { ref, resolve, reject, timer });
      this.send({ type: "subscribe", channel, ...since === void 0 ? {} : { since }, id: ref });
    });
  }
  /** Whether a `subscribe` of the channel awaits its answer (a publish there waits for it). */
  subscribing(channel) {
    return this.#waits.has(channel);
  }
  /** `subscribed` for a channel, or an error frame with a ref: true when a wait of ours settled. */
  settle(channel, ref, error) {
    for (const [key, wait] of this.#waits) {
      if (ref === void 0 ? key !== channel : wait.ref !== ref) continue;
      clearTimeout(wait.timer);
      this.#waits.delete(key);
      if (error) wait.reject(error);
      else wait.resolve();
      return true;
    }
    return false;
  }
  close(code = 1e3, reason = "") {
    if (this.#done) return;
    try {
      this.ws.close(code, reason);
    } catch {
    }
    this.#finish({ code, reason, opened: this.#opened });
  }
  /** Gives up on a connection that stopped answering: it is closed and reported gone at once. */
  fail(reason) {
    this.close(CLOSE_DEAD, reason);
  }
  #message(event) {
    if (this.#done || typeof event.data !== "string") return;
    this.hooks.traffic(this, "in", event.data);
    clearTimeout(this.#pongTimer);
    this.#pongTimer = void 0;
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    if (frame === null || typeof frame !== "object") return;
    if (frame.type === "connection.established" && !this.info) {
      const { connection_id, user_id, channels } = frame;
      this.info = { connection_id, user_id, channels };
      clearTimeout(this.#timer);
      this.#ping();
      this.hooks.ready(this);
      return;
    }
    this.hooks.frame(this, frame);
  }
  #ping() {
    if (this.timing.pingIntervalMs <= 0) return;
    this.#timer = setTimeout(() => {
      this.send({ type: "ping" });
      this.#pongTimer ??= setTimeout(() => this.fail("no pong"), this.timing.pongTimeoutMs);
      this.#ping();
    }, this.timing.pingIntervalMs);
  }
  #finish(info) {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#pongTimer);
    for (const wait of this.#waits.values()) {
      clearTimeout(wait.timer);
      wait.reject(new SwitchboardError("CLOSED", "connection closed"));
    }
    this.#waits.clear();
    this.hooks.closed(this, this.#status === void 0 ? info : { ...info, status: this.#status });
  }
};

// client/http.ts
async function getJson(fetch, url, token) {
  let res;
  try {
    res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  } catch (error) {
    throw new SwitchboardError("HTTP", `GET ${url} failed: ${error.message}`);
  }
  const body = await res.json().catch(() => null);
  if (res.ok && body) return body;
  throw new SwitchboardError(
    body?.code ?? "HTTP",
    body?.detail ?? body?.title ?? `GET ${url}: HTTP ${res.status} ${res.statusText ?? ""}`.trim(),
    { status: res.status }
  );
}

// client/token.ts
function tokenExpiry(token) {
  const payload = token?.split(".")[1];
  if (!payload) return null;
  try {
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    const exp = JSON.parse(json).exp;
    return typeof exp === "number" ? exp * 1e3 : null;
  } catch {
    return null;
  }
}

// client/switchboard.ts
var DAY_MS = 864e5;
var defaults = {
  maxLifetimeMs: 2 * 36e5,
  idleTimeoutMs: 6e5,
  pongTimeoutMs: 15e3,
  timeoutMs: 15e3,
  minReconnectDelayMs: 500,
  maxReconnectDelayMs: 2e4,
  maxQueued: 100,
  gapWaitMs: 500,
  random: Math.random
};
var KNOWN = /* @__PURE__ */ new Set([
  ...Object.keys(defaults),
  "getToken",
  "WebSocket",
  "httpUrl",
  "fetch",
  "pingIntervalMs"
]);
var MAX_REFUSALS = 2;
var DRAIN_MS = 2e3;
var FILL_PAGES = 10;
var PAGE = 100;
var margin = (lifeMs) => Math.min(6e4, Math.max(0, lifeMs) / 2);
var Switchboard = class extends Emitter {
  state = "disconnected";
  url;
  httpUrl;
  #o;
  #WebSocket;
  #fetch;
  #primary;
  #next;
  #opening = false;
  #retiring = /* @__PURE__ */ new Set();
  #subs = /* @__PURE__ */ new Map();
  #outbox = [];
  #attempts = 0;
  #refusals = 0;
  #cause = "connect";
  #token = null;
  #reconnectTimer;
  #renewTimer;
  #owner;
  #hooks;
  constructor(url, options = {}) {
    super();
    const unknown = Object.keys(options).filter((key) => !KNOWN.has(key));
    if (unknown.length > 0) throw new TypeError(`unknown option(s): ${unknown.join(", ")}`);
    const ws = new URL(url);
    if (ws.protocol !== "ws:" && ws.protocol !== "wss:")
      throw new TypeError(`not a ws:// or wss:// URL: ${url}`);
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== void 0));
    const o = { ...defaults, ...given };
    this.#o = { ...o, pingIntervalMs: o.pingIntervalMs ?? o.idleTimeoutMs / 4 };
    const WebSocket = o.WebSocket ?? globalThis.WebSocket;
    if (!WebSocket) throw new TypeError("no global WebSocket: pass options.WebSocket (in Node, `ws`)");
    this.#WebSocket = WebSocket;
    this.#fetch = o.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.url = url;
    this.httpUrl = (o.httpUrl ?? ws.origin.replace(/^ws/, "http")).replace(/\/$/, "");
    this.#owner = {
      remove: (sub) => this.#remove(sub),
      fill: (channel, since, upTo) => this.#fill(channel, since, upTo),
      gapWaitMs: o.gapWaitMs
    };
    this.#hooks = {
      open: (conn) => {
        if (conn === this.#next) for (const sub of this.#subs.values()) void this.#subscribeOn(conn, sub);
      },
      ready: (conn) => this.#ready(conn),
      frame: (conn, frame) => this.#frame(conn, frame),
      closed: (conn, info) => this.#closed(conn, info),
      traffic: (conn, direction, text) => {
        if (this.listens("frame")) this.emit("frame", { direction, text, connection: conn.n });
      }
    };
  }
  /** Starts connecting (and reconnecting until `close()`, or until the handshake is refused). */
  connect() {
    if (this.state === "closed")
      throw new SwitchboardError("CLOSED", "this client was closed: create another");
    if (this.state !== "disconnected") return;
    this.#attempts = 0;
    this.#refusals = 0;
    this.#cause = "connect";
    this.#setState("connecting");
    void this.#open();
  }
  /** Closes every connection for good: subscriptions end, waiting publishes are rejected CLOSED. */
  close() {
    if (this.state === "closed") return;
    this.#halt("closed", new SwitchboardError("CLOSED", "the client was closed"));
    for (const sub of this.#subs.values()) sub.end();
    this.#subs.clear();
  }
  /**
   * Subscribes now, or as soon as connected, and after every reconnect with `since` = the newest seq
   * delivered. `since` here recovers what came after that seq (history channels).
   */
  subscribe(channel, options = {}) {
    if (this.state === "closed") throw new SwitchboardError("CLOSED", "the client was closed");
    if (this.#subs.has(channel))
      throw new SwitchboardError("ALREADY_SUBSCRIBED", `already subscribed to ${channel}`);
    const sub = new Subscription(channel, options.since, this.#owner);
    this.#subs.set(channel, sub);
    for (const conn of [this.#primary, this.#next]) if (conn?.usable) void this.#subscribeOn(conn, sub);
    return sub;
  }
  getSubscription(channel) {
    return this.#subs.get(channel);
  }
  /**
   * Publishes `data` to a channel; resolves with the `ack`, rejects with the server's code. While not
   * connected it waits in the queue (at most `maxQueued`); a publish whose connection dropped before its
   * ack is sent again with the same `id`, which the server stores and delivers only once.
   */
  publish(channel, data, options = {}) {
    if (this.state === "closed")
      return Promise.reject(new SwitchboardError("CLOSED", "the client was closed"));
    const queued = this.#outbox.filter((p) => !p.conn).length;
    if (!this.#primary && queued >= this.#o.maxQueued) {
      return Promise.reject(
        new SwitchboardError("QUEUE_FULL", `${queued} publishes already wait for a connection`)
      );
    }
    const ref = options.id ?? newId();
    return new Promise((resolve, reject) => {
      this.#outbox.push({
        ref,
        channel,
        frame: { type: "publish", channel, data, id: ref },
        resolve,
        reject
      });
      this.#flush();
    });
  }
  /** Sends any frame as it is on the current connection (the console's escape hatch): no queue, no retry. */
  send(frame) {
    return this.#primary?.sendText(typeof frame === "string" ? frame : JSON.stringify(frame)) ?? false;
  }
  /** `GET /v1/channels/{channel}/history`: stored messages after `since`, oldest first. */
  history(channel, options = {}) {
    const query = new URLSearchParams();
    if (options.since !== void 0) query.set("since", String(options.since));
    if (options.limit !== void 0) query.set("limit", String(options.limit));
    return this.#get(`${encodeURIComponent(channel)}/history?${query}`);
  }
  /** `GET /v1/channels/{channel}/presence`. */
  presence(channel) {
    return this.#get(`${encodeURIComponent(channel)}/presence`);
  }
  /** With the current connection's token; before the first connection, one from `getToken`. */
  async #get(path) {
    const token = this.#token ?? await this.#o.getToken?.() ?? null;
    return getJson(this.#fetch, `${this.httpUrl}/v1/channels/${path}`, token);
  }
  // -------------------------------------------------------------------------------------------------
  // Connections: `#next` is being made (a reconnect, or the replacement of `#primary`), `#primary` carries
  // the traffic, `#retiring` were replaced and close once their publishes are acked.
  #active() {
    return this.state === "connecting" || this.state === "connected";
  }
  async #open() {
    clearTimeout(this.#reconnectTimer);
    if (this.#next || this.#opening || !this.#active()) return;
    this.#opening = true;
    let token;
    try {
      token = await this.#o.getToken?.() ?? null;
    } catch (error) {
      this.#opening = false;
      this.emit("error", new SwitchboardError("TOKEN", `getToken failed: ${error?.message}`));
      if (this.#active()) this.#retry();
      return;
    }
    this.#opening = false;
    if (this.#next || !this.#active()) return;
    this.#token = token;
    const url = new URL(this.url);
    if (token) url.searchParams.set("token", token);
    let socket;
    try {
      socket = new this.#WebSocket(url.toString());
    } catch (error) {
      const failure = new SwitchboardError("TRANSPORT", `no WebSocket: ${error?.message}`);
      this.#halt("disconnected", failure);
      this.emit("error", failure);
      return;
    }
    this.#next = new Connection(socket, this.#hooks, this.#o);
  }
  #retry() {
    const { minReconnectDelayMs: min, maxReconnectDelayMs: max, random } = this.#o;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => void this.#open(), backoff(this.#attempts++, min, max, random));
  }
  #ready(conn) {
    if (conn !== this.#next) {
      conn.close();
      return;
    }
    this.#attempts = 0;
    this.#refusals = 0;
    this.#promoteWhenReady(conn);
  }
  /** Make before break: the new connection takes over once every subscription is in place on it. */
  #promoteWhenReady(conn) {
    if (conn === this.#next && conn.info && !conn.waiting && !conn.done) this.#promote(conn);
  }
  #subscribeOn(conn, sub) {
    return conn.subscribe(sub.channel, sub.order.last).catch((error) => {
      if (error.code === "TIMEOUT") conn.fail("no subscribed");
      else if (error.code !== "CLOSED" && this.#subs.get(sub.channel) === sub) {
        this.#subs.delete(sub.channel);
        sub.end(error);
      }
    });
  }
  #promote(conn) {
    const old = this.#primary;
    this.#primary = conn;
    this.#next = void 0;
    this.#setState("connected");
    this.emit("connected", { ...conn.info, cause: this.#cause });
    this.#cause = "reconnect";
    this.#scheduleRenewal(conn);
    if (old) {
      this.#retiring.add(old);
      if (!this.#carries(old)) old.close(1e3, "replaced");
      else setTimeout(() => old.close(1e3, "replaced"), DRAIN_MS);
    }
    this.#flush();
  }
  /** Opens the replacement before the connection's lifetime or its token ends, whichever comes first. */
  #scheduleRenewal(conn) {
    clearTimeout(this.#renewTimer);
    const now = Date.now();
    const lifetimeAt = conn.openedAt + this.#o.maxLifetimeMs - margin(this.#o.maxLifetimeMs);
    const exp = tokenExpiry(this.#token);
    const tokenAt = exp === null ? Number.POSITIVE_INFINITY : exp - margin(exp - now);
    const at = Math.min(lifetimeAt, tokenAt, now + DAY_MS);
    this.#renewTimer = setTimeout(
      () => {
        if (this.#primary !== conn || this.#next) return;
        this.#cause = tokenAt < lifetimeAt ? "token" : "lifetime";
        void this.#open();
      },
      Math.max(0, at - now)
    );
  }
  #closed(conn, info) {
    for (const p of this.#outbox) {
      if (p.conn !== conn) continue;
      p.conn = void 0;
      clearTimeout(p.timer);
    }
    if (this.#retiring.delete(conn)) {
      this.#flush();
      return;
    }
    if (!this.#active()) return;
    if (conn === this.#primary) {
      this.#primary = void 0;
      clearTimeout(this.#renewTimer);
      this.#cause = "reconnect";
      this.#setState("connecting", info);
      if (!this.#next && !this.#opening) this.#retry();
    } else if (conn === this.#next) {
      this.#next = void 0;
      void this.#failed(info);
    }
  }
  /** An attempt failed before it was ready: back off, or stop when the server keeps refusing it. */
  async #failed(info) {
    const refused = !info.opened && await this.#refused(info);
    if (!this.#active() || this.#next || this.#opening) return;
    this.#refusals = refused ? this.#refusals + 1 : 0;
    if (this.#refusals >= MAX_REFUSALS && !this.#primary) {
      const status = info.status === void 0 ? "" : ` (HTTP ${info.status})`;
      const error = new SwitchboardError("REFUSED", `the server refused the handshake${status}`, {
        ...info.status === void 0 ? {} : { status: info.status }
      });
      this.#halt("disconnected", error);
      this.emit("error", error);
      return;
    }
    this.#retry();
  }
  /**
   * Whether a handshake that never opened was refused (401/403) rather than lost to the network. `ws`
   * says the status; browsers hide it, so the client asks the same host over HTTP: an answer of any kind
   * (`no-cors`: its status cannot be read, and need not be) means the server is up and said no.
   */
  async #refused(info) {
    if (info.status !== void 0) return info.status === 401 || info.status === 403;
    try {
      await this.#fetch(this.url.replace(/^ws/, "http"), {
        mode: "no-cors",
        cache: "no-store",
        signal: AbortSignal.timeout(this.#o.timeoutMs)
      });
      return true;
    } catch {
      return false;
    }
  }
  #halt(state, error) {
    clearTimeout(this.#reconnectTimer);
    clearTimeout(this.#renewTimer);
    this.#setState(state, { code: 1e3, reason: error.message });
    const conns = [this.#primary, this.#next, ...this.#retiring];
    this.#primary = this.#next = void 0;
    this.#retiring.clear();
    for (const conn of conns) conn?.close(1e3, "client closed");
    for (const p of this.#outbox.splice(0)) {
      clearTimeout(p.timer);
      p.reject(error);
    }
  }
  #setState(state, close) {
    const previous = this.state;
    if (previous === state) return;
    this.state = state;
    this.emit("state", { state, previous, ...close ? { code: close.code, reason: close.reason } : {} });
  }
  // -------------------------------------------------------------------------------------------------
  // Frames, publishes, subscriptions
  #frame(conn, frame) {
    const { type, channel, ref } = frame;
    if (type === "ack") {
      this.#settle(ref, frame);
    } else if (type === "error") {
      const error = new SwitchboardError(frame.code ?? "INTERNAL", String(frame.message), {
        ...typeof ref === "string" ? { ref } : {},
        ...typeof frame.retry_after_ms === "number" ? { retryAfterMs: frame.retry_after_ms } : {}
      });
      if (error.code === "IDEMPOTENCY_KEY_IN_USE" && typeof ref === "string" && this.#resendLater(ref, error)) {
        return;
      }
      const mine = typeof ref === "string" && (this.#settle(ref, void 0, error) || conn.settle(void 0, ref, error));
      if (!mine) this.emit("error", error);
      this.#promoteWhenReady(conn);
      this.#flush();
    } else if (type === "subscribed") {
      this.#subs.get(channel)?.confirmed(frame);
      conn.settle(channel);
      this.#promoteWhenReady(conn);
      this.#flush();
    } else if (type === void 0 && typeof frame.message === "string") {
      this.emit("error", new SwitchboardError("INTERNAL", frame.message));
    } else if (typeof channel === "string" && typeof frame.id === "string") {
      this.#subs.get(channel)?.order.push(frame);
    }
  }
  /** Settles the publish with that ref: true when there was one. */
  #settle(ref, ack, error) {
    const i = this.#outbox.findIndex((p2) => p2.ref === ref);
    const p = this.#outbox[i];
    if (!p) return false;
    this.#outbox.splice(i, 1);
    clearTimeout(p.timer);
    if (error || !ack) p.reject(error ?? new SwitchboardError("TIMEOUT", `no ack for ${ref}`, { ref }));
    else {
      p.resolve({
        id: ack.id,
        ref,
        channel: ack.channel,
        ...typeof ack.seq === "number" ? { seq: ack.seq } : {},
        status: ack.status === "queued" ? "queued" : "delivered",
        duplicate: ack.duplicate === true
      });
    }
    if (p.conn && this.#retiring.has(p.conn) && !this.#carries(p.conn)) p.conn.close(1e3, "replaced");
    return true;
  }
  /**
   * A publish whose first attempt is still in progress on the server (sent again after a reconnect while
   * the first was at work, or after the server restarted): it stays queued and goes again after the
   * server's `retry_after_ms`, until it is acked (stored once, or answered duplicate) or times out.
   */
  #resendLater(ref, error) {
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
    }, error.retryAfterMs ?? 1e3);
    if (conn && this.#retiring.has(conn) && !this.#carries(conn)) conn.close(1e3, "replaced");
    return true;
  }
  #carries(conn) {
    return this.#outbox.some((p) => p.conn === conn);
  }
  /**
   * Sends every publish that waits, on the current connection; one to a channel whose `subscribe` is not
   * answered yet waits for it (the server handles frames concurrently: it could come first and be refused
   * NOT_SUBSCRIBED).
   */
  #flush() {
    const conn = this.#primary;
    if (!conn) return;
    for (const p of this.#outbox) {
      if (p.conn || p.held || conn.subscribing(p.channel) || !conn.send(p.frame)) continue;
      p.conn = conn;
      p.timer = setTimeout(() => this.#settle(p.ref), this.#o.timeoutMs);
    }
  }
  #remove(sub) {
    if (this.#subs.get(sub.channel) !== sub) return;
    this.#subs.delete(sub.channel);
    for (const conn of [this.#primary, this.#next]) {
      if (conn?.usable) conn.send({ type: "unsubscribe", channel: sub.channel });
    }
    sub.end();
  }
  /** Reads history pages after `since` until `upTo` is covered, for a gap in a channel's seq. */
  async #fill(channel, since, upTo) {
    const frames = [];
    for (let from = since, pages = 0; from !== null && from < upTo && pages < FILL_PAGES; pages++) {
      const page = await this.history(channel, { since: from, limit: PAGE });
      frames.push(...page.messages);
      from = page.next;
    }
    return frames;
  }
};
function newId() {
  return globalThis.crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
export {
  Subscription,
  Switchboard,
  SwitchboardError
};
