/**
 * The Switchboard console: a hand-driven client of the protocol (docs/PROTOCOL.md) served by the local
 * stack at `/`. Plain browser JavaScript with no build step and nothing from a CDN, so it works offline.
 * The connection is the client SDK's (`switchboard/client`, docs/client.md): it says hello, pings,
 * reconnects with backoff, replaces connections before their lifetime ends and resubscribes with `since`;
 * the page shows every frame of every connection it makes. Its bundle, web/switchboard-client.js, is
 * built from client/ by `npm run build:client` and committed (a test keeps it current).
 *
 * Safety: frame content only ever reaches the page through `textContent` (never innerHTML): frames come
 * from other clients and services, and the console must not run what they send.
 */

import { Switchboard } from './switchboard-client.js';

const $ = (id) => document.getElementById(id);

const MAX_LOG_ENTRIES = 2000;
/** Replies to the client's own requests, shown in a calmer colour than channel events. */
const CONTROL_TYPES = new Set(['connection.established', 'subscribed', 'unsubscribed', 'ack', 'pong']);
const CLOSE_CODES = {
  1000: 'normal closure',
  1001: 'going away: idle timeout, lifetime or server stop',
  1003: 'unsupported data: binary frame',
  1005: 'no status code',
  1006: 'abnormal: no close frame',
  1008: 'policy violation',
  1009: 'message too big',
  1011: 'server error',
  1012: 'service restart',
  4000: 'the client gave up on it: no pong, or no answer in time',
};

// ---------------------------------------------------------------------------------------------------
// State

/** @type {Switchboard | null} The client while it connects or is connected; null once it stopped. */
let sb = null;
/** Subscriptions as the console learns them: channel → the highest seq seen (null: no history). */
const subscriptions = new Map();
/** The ones made with the Subscribe form, through the client (resubscribed with `since` after reconnects). */
const clientSubs = new Map();

// ---------------------------------------------------------------------------------------------------
// Defaults: the WebSocket API and the HTTP API of the stack that served this page.

const served = location.protocol === 'http:' || location.protocol === 'https:';
const origin = served ? location.origin : 'http://localhost:8080';
$('ws-url').value = `${origin.replace(/^http/, 'ws')}/local`;
$('http-base').value = origin;

// ---------------------------------------------------------------------------------------------------
// Status and controls

/** @param {'idle'|'connecting'|'open'|'closed'|'refused'} state */
function setState(state, text) {
  const status = $('status');
  status.dataset.state = state;
  status.textContent = text;
  const busy = state === 'connecting' || state === 'open';
  $('connect').disabled = busy;
  $('disconnect').disabled = !busy;
  for (const id of ['subscribe', 'unsubscribe', 'send-frame', 'send-raw']) $(id).disabled = state !== 'open';
  for (const button of document.querySelectorAll('.subs button')) button.disabled = state !== 'open';
}

function describeClose(code, reason) {
  const meaning = CLOSE_CODES[code] ?? (code >= 4000 ? 'application code' : 'unknown code');
  return `${code} (${meaning})${reason ? `: ${reason}` : ''}`;
}

// ---------------------------------------------------------------------------------------------------
// Token: minted by the dev issuer of the local stack (POST /.local/token), or pasted.

async function mint(request) {
  const res = await fetch(new URL('/.local/token', origin), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${res.status} ${body.message ?? res.statusText}`);
  return body.token;
}

function mintRequest(scopeOverride) {
  const sub = $('mint-sub').value.trim();
  const orgs = splitList($('mint-orgs').value);
  const scope = scopeOverride ?? $('mint-scope').value.trim();
  const name = $('mint-name').value.trim();
  return {
    sub: sub || 'console',
    ...(orgs.length > 0 ? { orgs } : {}),
    ...(scope ? { scope } : {}),
    ...(name ? { name } : {}),
  };
}

$('mint-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    $('token').value = await mint(mintRequest());
    describeToken();
  } catch (error) {
    $('token-info').textContent = `Minting failed: ${error.message}`;
    $('token-info').dataset.error = 'true';
  }
});

$('token-clear').addEventListener('click', () => {
  $('token').value = '';
  describeToken();
});
$('token').addEventListener('input', describeToken);

/** Shows what the token claims (decoded here, not verified: the server verifies). */
function describeToken() {
  const info = $('token-info');
  const token = $('token').value.trim();
  delete info.dataset.error;
  if (!token) {
    info.textContent = 'Anonymous';
    return;
  }
  const claims = decodeJwt(token);
  if (!claims) {
    info.textContent = 'Not a JWT: the handshake will be refused (401)';
    info.dataset.error = 'true';
    return;
  }
  const parts = [`sub ${claims.sub ?? '?'}`];
  if (Array.isArray(claims.orgs) && claims.orgs.length > 0) parts.push(`orgs ${claims.orgs.join(',')}`);
  if (claims.scope) parts.push(`scope ${claims.scope}`);
  if (typeof claims.exp === 'number') {
    const expires = new Date(claims.exp * 1000);
    parts.push(expires < new Date() ? 'EXPIRED' : `expires ${expires.toLocaleTimeString()}`);
  }
  info.textContent = parts.join(' · ');
}

function decodeJwt(token) {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === 'object' ? claims : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------
// Connection: the client SDK's. Each event of the client becomes a line of the log or a change of the header.

$('connect-form').addEventListener('submit', (event) => {
  event.preventDefault();
  connect();
});
$('disconnect').addEventListener('click', () => sb?.close());

function connect() {
  if (sb) return;
  let url;
  try {
    url = new URL($('ws-url').value.trim());
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:')
      throw new Error('the URL must start with ws:// or wss://');
  } catch (error) {
    $('close-info').textContent = `Bad URL: ${error.message}`;
    return;
  }
  const channels = splitList($('connect-channels').value);
  if (channels.length > 0) url.searchParams.set('channels', channels.join(','));
  const anonymous = !$('token').value.trim();

  $('close-info').textContent = '';
  logSystem(
    `connecting to ${decodeURIComponent(url.toString())}${anonymous ? ' (anonymous)' : ' with the token'}`,
  );
  const client = new Switchboard(url.toString(), {
    // Read at every (re)connect: a token pasted or minted meanwhile is the one the next connection uses.
    // Browsers cannot set headers on a WebSocket: the client puts it in the query (PROTOCOL.md section 2).
    getToken: () => $('token').value.trim() || null,
    httpUrl: $('http-base').value.trim(),
    ...($('keepalive').checked ? {} : { pingIntervalMs: 0 }),
  });
  sb = client;
  const mine = (listener) => (value) => {
    if (sb === client) listener(value);
  };
  client.on('frame', mine(onFrame));
  client.on('state', mine(onState));
  client.on('connected', mine(onConnected));
  client.on(
    'error',
    mine((error) => onError(client, error)),
  );
  client.connect();
}

function onFrame({ direction, text, connection }) {
  const frame = parseJson(text);
  logEntry(direction, { text, frame, connection });
  if (direction === 'in' && frame && typeof frame === 'object') track(frame);
}

function onState({ state, previous, code, reason }) {
  if (state === 'connecting' && previous === 'disconnected') setState('connecting', 'Connecting…');
  else if (state === 'connecting') {
    // The client reconnects by itself, with backoff, and resubscribes with `since`.
    const described = describeClose(code, reason);
    $('close-info').textContent = `Closed ${described}: reconnecting`;
    setState('connecting', `Reconnecting (closed ${code})…`);
    logSystem(`closed ${described}: reconnecting`, 'error');
  } else if (state === 'closed') {
    sb = null;
    subscriptions.clear();
    clientSubs.clear();
    renderSubscriptions();
    const described = describeClose(code, reason);
    $('close-info').textContent = `Closed ${described}`;
    setState('closed', `Closed ${code}`);
    logSystem(`closed ${described}`);
  }
}

function onConnected(info) {
  const who = info.user_id ? `as ${info.user_id}` : 'anonymous';
  setState('open', `Connected ${who} · ${info.connection_id}`);
  $('close-info').textContent = '';
  if (info.cause === 'lifetime' || info.cause === 'token') {
    const why = info.cause === 'lifetime' ? 'its lifetime' : 'its token';
    logSystem(`connection replaced before ${why} ran out (make-before-break): now ${info.connection_id}`);
  } else if (info.cause === 'reconnect') logSystem(`reconnected: ${info.connection_id}`);
  // The server's view on this connection: ?channels= and user:{sub}, and what the client resubscribed.
  subscriptions.clear();
  for (const channel of info.channels ?? []) subscriptions.set(channel, null);
  for (const [channel, sub] of clientSubs) subscriptions.set(channel, sub.seq ?? null);
  renderSubscriptions();
}

function onError(client, error) {
  if (error.code !== 'REFUSED') {
    logSystem(`${error.code}: ${error.message}`, 'error');
    return;
  }
  // A refused handshake reaches scripts as a bare 1006: browsers hide the HTTP status on purpose. The
  // client asked the server over HTTP, found it up, and stopped after a second refusal (docs/client.md).
  sb = null;
  client.close();
  subscriptions.clear();
  clientSubs.clear();
  renderSubscriptions();
  $('close-info').textContent =
    'Refused: browsers do not show the HTTP status of a refused handshake. ' +
    'See the server log (401: bad or expired token; 403: channel or origin not allowed; 429: too many connections).';
  setState('refused', 'Refused (see the server log: 401/403)');
  logSystem('handshake refused twice: the client stopped (it does not loop on a refusal)', 'error');
}

/** Keeps the subscription list in step with the server's replies, on whichever connection they came. */
function track(frame) {
  if (frame.type === 'subscribed' && typeof frame.channel === 'string') {
    subscriptions.set(frame.channel, typeof frame.seq === 'number' ? frame.seq : null);
  } else if (frame.type === 'unsubscribed' && typeof frame.channel === 'string') {
    subscriptions.delete(frame.channel);
  } else if (
    typeof frame.channel === 'string' &&
    typeof frame.seq === 'number' &&
    subscriptions.has(frame.channel)
  ) {
    // Remember the newest seq per channel: it is the `since` to recover from after a reconnect.
    if ((subscriptions.get(frame.channel) ?? -1) >= frame.seq) return;
    subscriptions.set(frame.channel, frame.seq);
  } else return;
  renderSubscriptions();
}

/** Sends text as it is on the current connection (the frame editor's "any frame"). */
function sendText(text) {
  if (sb?.send(text)) return true;
  logSystem('not connected: nothing sent', 'error');
  return false;
}

// ---------------------------------------------------------------------------------------------------
// Subscriptions

$('subscribe-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const channel = $('sub-channel').value.trim();
  const since = $('sub-since').value.trim();
  if (!channel || !sb) return;
  if (clientSubs.has(channel)) {
    logSystem(`already subscribed to ${channel}: unsubscribe first to subscribe again with since`, 'error');
    return;
  }
  // Through the client: it resubscribes after every reconnect with since = the newest seq it delivered.
  const sub = sb.subscribe(channel, since === '' ? {} : { since: Number(since) });
  clientSubs.set(channel, sub);
  sub.on('error', (error) => logSystem(`${channel}: ${error.code}: ${error.message}`, 'error'));
  sub.on('unsubscribed', () => {
    if (clientSubs.get(channel) === sub) clientSubs.delete(channel);
  });
});
$('unsubscribe').addEventListener('click', () => {
  const channel = $('sub-channel').value.trim();
  if (channel) unsubscribe(channel);
});

/** A subscription of the client ends through it; one the server made (?channels=, user:) by a frame. */
function unsubscribe(channel) {
  const sub = clientSubs.get(channel);
  if (sub) sub.unsubscribe();
  else sb?.send({ type: 'unsubscribe', channel });
}

function renderSubscriptions() {
  const list = $('subscriptions');
  const items = [...subscriptions].sort(([a], [b]) => a.localeCompare(b));
  if (items.length === 0) {
    const empty = document.createElement('li');
    empty.className = 'empty';
    empty.textContent = 'None';
    list.replaceChildren(empty);
    return;
  }
  list.replaceChildren(
    ...items.map(([channel, seq]) => {
      const item = document.createElement('li');
      item.dataset.channel = channel;
      const use = document.createElement('button');
      use.type = 'button';
      use.className = 'link';
      use.textContent = channel;
      use.title = 'Use this channel in the forms';
      use.addEventListener('click', () => {
        $('sub-channel').value = channel;
        $('http-channel').value = channel;
        if (seq !== null) $('sub-since').value = String(seq);
      });
      const seqText = document.createElement('span');
      seqText.className = 'seq';
      seqText.textContent = seq === null ? '' : `seq ${seq}`;
      const leave = document.createElement('button');
      leave.type = 'button';
      leave.className = 'quiet small';
      leave.textContent = 'Unsubscribe';
      leave.setAttribute('aria-label', `Unsubscribe from ${channel}`);
      leave.addEventListener('click', () => unsubscribe(channel));
      item.append(use, seqText, leave);
      return item;
    }),
  );
}

// ---------------------------------------------------------------------------------------------------
// Any frame: a JSON editor with templates. Text that is not JSON can still be sent on purpose, to see
// the server's INVALID_JSON error.

/** The subscribed channel of a namespace, else the subscribe field's if it fits, else a default. */
function channelFor(namespace, fallback) {
  const fits = (c) => c === namespace || c.startsWith(`${namespace}:`);
  return [...subscriptions.keys()].find(fits) ?? [$('sub-channel').value.trim()].find(fits) ?? fallback;
}

const TEMPLATES = {
  hello: () => ({ type: 'hello' }),
  ping: () => ({ type: 'ping', timestamp: new Date().toISOString() }),
  publish: () => ({
    type: 'publish',
    channel: channelFor('room', 'room:general'),
    data: { text: 'Hello from the console' },
    id: newId(),
  }),
  chat_message: () => ({
    type: 'chat_message',
    message: 'Hello, room!',
    username: $('mint-name').value.trim() || 'console',
    channel: channelFor('room', 'room:general'),
  }),
  counter: () => ({ action: 'increment', value: 1, channel: channelFor('counter', 'counter:clicks') }),
  chat_content: () => ({ content: 'Hello, chat!', channel: channelFor('chat', 'chat:CHAT_ID') }),
  sensor_data: () => ({
    type: 'sensor_data',
    sensor_id: 'temp-1',
    value: 21.5,
    timestamp: new Date().toISOString(),
  }),
};

for (const button of document.querySelectorAll('[data-template]')) {
  button.addEventListener('click', () => {
    $('frame-editor').value = JSON.stringify(TEMPLATES[button.dataset.template](), null, 2);
    showFrameError('');
    $('frame-editor').focus();
  });
}

$('send-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = $('frame-editor').value;
  const frame = parseJson(text);
  if (frame === undefined) {
    showFrameError('Not valid JSON. The server would answer INVALID_JSON; send it anyway to see that.');
    return;
  }
  showFrameError('');
  sendText(JSON.stringify(frame));
});
$('send-raw').addEventListener('click', () => {
  sendText($('frame-editor').value);
  showFrameError('');
});
$('format-frame').addEventListener('click', () => {
  const frame = parseJson($('frame-editor').value);
  if (frame === undefined) showFrameError('Not valid JSON: nothing to format.');
  else $('frame-editor').value = JSON.stringify(frame, null, 2);
});

function showFrameError(message) {
  $('frame-error').textContent = message;
  $('frame-error').hidden = !message;
  $('send-raw').hidden = !message || message.startsWith('Not valid JSON:');
}

// Ctrl+Enter (Cmd+Enter) in a textarea submits its form: newlines stay typeable with plain Enter.
for (const area of document.querySelectorAll('form textarea')) {
  area.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      area.form.requestSubmit();
    }
  });
}

// ---------------------------------------------------------------------------------------------------
// Publish over the HTTP API, as a service would: POST /v1/publish with a realtime:publish token.

$('http-mint').addEventListener('click', async () => {
  try {
    $('http-token').value = await mint(mintRequest('realtime:publish'));
  } catch (error) {
    showHttpResult(`Minting failed: ${error.message}`, false);
  }
});

$('http-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const data = parseJson($('http-data').value);
  if (data === undefined) {
    showHttpResult('data is not valid JSON', false);
    return;
  }
  const channel = $('http-channel').value.trim();
  const body = { ...(channel ? { channel } : {}), type: $('http-type').value.trim(), data };
  const token = $('http-token').value.trim();
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  showHttpResult('Sending…', null);
  try {
    const res = await fetch(new URL('/v1/publish', $('http-base').value.trim()), {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    const json = parseJson(text);
    showHttpResult(
      `${res.status} ${res.statusText}${type ? ` · ${type.split(';')[0]}` : ''}`,
      res.ok,
      json === undefined ? text : JSON.stringify(json, null, 2),
    );
  } catch (error) {
    // fetch rejects without a status on network and CORS failures.
    showHttpResult(`Request failed: ${error.message}`, false);
  }
});

function showHttpResult(statusText, ok, body) {
  $('http-status').textContent = statusText;
  $('http-status').dataset.ok = ok === null ? '' : String(ok);
  $('http-response').textContent = body ?? '';
  $('http-response').hidden = !body;
  $('http-result').scrollIntoView({ block: 'nearest' });
}

// ---------------------------------------------------------------------------------------------------
// The frame log: newest at the bottom, filterable.

/** Each entry's searchable text, kept out of the DOM. */
const searchText = new WeakMap();
/** Each frame's text (a <pre> → its parsed JSON, or undefined when it is not JSON), for the pretty toggle. */
const frameOf = new WeakMap();

const render = (frame, text) =>
  frame === undefined ? text : JSON.stringify(frame, null, $('log-pretty').checked ? 2 : undefined);

$('log-pretty').addEventListener('change', () => {
  for (const pre of $('log').querySelectorAll('pre')) {
    const { frame, text } = frameOf.get(pre);
    pre.textContent = render(frame, text);
  }
});

$('log-filter').addEventListener('input', () => {
  for (const entry of $('log').children) applyFilter(entry);
  updateCount();
});
$('log-clear').addEventListener('click', () => {
  $('log').replaceChildren();
  updateCount();
});

/**
 * @param {'in'|'out'} direction
 * @param {{text: string, frame?: unknown, type?: string, connection?: number}} content
 */
function logEntry(direction, { text, frame, type, connection }) {
  const isObject = frame !== null && typeof frame === 'object' && !Array.isArray(frame);
  const frameType = type ?? (isObject ? (frame.type ?? typeless(frame)) : 'not JSON');
  const channel = isObject && typeof frame.channel === 'string' ? frame.channel : '';
  const kind =
    direction === 'out'
      ? 'out'
      : frameType === 'error'
        ? 'error'
        : CONTROL_TYPES.has(frameType)
          ? 'control'
          : 'event';

  const entry = document.createElement('li');
  entry.className = 'entry';
  entry.dataset.direction = direction;
  entry.dataset.type = frameType;
  entry.dataset.kind = kind;
  if (channel) entry.dataset.channel = channel;
  // Which connection: while one replaces another (make-before-break) both carry frames for a moment.
  const via = connection === undefined ? '' : ` #${connection}`;
  entry.append(meta(`${direction === 'in' ? '↓ in' : '↑ out'}${via}`, frameType, kind, channel));
  const pre = document.createElement('pre');
  pre.className = 'json';
  pre.textContent = render(frame, text);
  frameOf.set(pre, { frame, text });
  entry.append(pre);
  // Searched in its compact form, so that a filter like `"seq":3` finds it whichever way it is shown.
  const compact = frame === undefined ? text : JSON.stringify(frame);
  searchText.set(entry, `${direction} ${frameType} ${channel} ${compact}`.toLowerCase());
  append(entry);
}

/** A line of the console's own: connecting, closed, refused. */
function logSystem(message, kind = 'sys') {
  const entry = document.createElement('li');
  entry.className = 'entry';
  entry.dataset.direction = 'sys';
  entry.dataset.kind = kind;
  const line = meta('• console', '', kind, '');
  const text = document.createElement('span');
  text.className = 'sys-text';
  text.textContent = message;
  line.append(text);
  entry.append(line);
  searchText.set(entry, `sys ${message}`.toLowerCase());
  append(entry);
}

function meta(directionText, type, kind, channel) {
  const line = document.createElement('div');
  line.className = 'meta';
  const time = document.createElement('time');
  const now = new Date();
  time.dateTime = now.toISOString();
  time.textContent = clock(now);
  const dir = document.createElement('span');
  dir.className = 'dir';
  dir.textContent = directionText;
  line.append(time, dir);
  if (type) {
    const badge = document.createElement('span');
    badge.className = 'badge';
    badge.dataset.kind = kind;
    badge.textContent = type;
    line.append(badge);
  }
  if (channel) {
    const where = document.createElement('span');
    where.className = 'channel';
    where.textContent = channel;
    line.append(where);
  }
  return line;
}

function append(entry) {
  const log = $('log');
  // Follow the newest frames only while the reader is at the bottom; do not yank them away from older ones.
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  applyFilter(entry);
  log.append(entry);
  while (log.children.length > MAX_LOG_ENTRIES) log.firstElementChild.remove();
  if (atBottom) log.scrollTop = log.scrollHeight;
  updateCount();
}

function applyFilter(entry) {
  const filter = $('log-filter').value.trim().toLowerCase();
  entry.hidden = filter !== '' && !searchText.get(entry)?.includes(filter);
}

function updateCount() {
  const entries = [...$('log').children];
  const shown = entries.filter((e) => !e.hidden).length;
  $('log-count').textContent =
    shown === entries.length ? `${entries.length}` : `${shown} of ${entries.length}`;
}

// ---------------------------------------------------------------------------------------------------
// Small helpers

/** The parsed JSON, or undefined when the text is not JSON. */
function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Frames without a type (PROTOCOL.md section 3) are named by their telling field. */
function typeless(frame) {
  if ('content' in frame) return '(content)';
  if ('action' in frame) return '(action)';
  return '(no type)';
}

function splitList(text) {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function clock(date) {
  const pad = (n, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** crypto.randomUUID exists only in secure contexts; a LAN address over http:// is not one. */
function newId() {
  return (
    globalThis.crypto?.randomUUID?.() ??
    `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`
  );
}

describeToken();
setState('idle', 'Not connected');
