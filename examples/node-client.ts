/**
 * The client in Node: `npm start` in one terminal, then
 *
 *   npx tsx examples/node-client.ts [room]
 *
 * It mints a token from the local stack's dev issuer (POST /.local/token; against a deployed stack, pass
 * one from your issuer in SWITCHBOARD_TOKEN), subscribes to a room, publishes three messages (each with
 * its own id: a retry after a reconnect is delivered once), prints what arrives, reads the room's history
 * and presence over the HTTP API, and runs until Ctrl-C, reconnecting whenever the connection drops.
 * Environment: SWITCHBOARD_WS (default ws://localhost:8080/local), SWITCHBOARD_HTTP (default: its origin).
 */
import { randomUUID } from 'node:crypto';
import { Switchboard } from 'switchboard/client';
import WebSocket from 'ws';

const wsUrl = process.env.SWITCHBOARD_WS ?? 'ws://localhost:8080/local';
const httpUrl = process.env.SWITCHBOARD_HTTP ?? new URL(wsUrl).origin.replace(/^ws/, 'http');
const room = `room:${process.argv[2] ?? 'general'}`;

/** Called before every connection: a fresh token each time (the client renews it before it expires). */
async function getToken(): Promise<string> {
  if (process.env.SWITCHBOARD_TOKEN) return process.env.SWITCHBOARD_TOKEN;
  const res = await fetch(`${httpUrl}/.local/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sub: 'node-example', name: 'Node example', ttl: 3600 }),
  });
  if (!res.ok) throw new Error(`minting a dev token failed: ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}

// Node 20 has no global WebSocket: pass `ws` (a devDependency here; `npm i ws` in your project).
const sb = new Switchboard(wsUrl, { WebSocket, getToken, httpUrl });
sb.on('state', ({ state, code }) => console.log(`[state] ${state}${code ? ` (close ${code})` : ''}`));
sb.on('connected', (c) => console.log(`[connected] ${c.connection_id} as ${c.user_id} (${c.cause})`));
sb.on('error', (e) => console.error(`[error] ${e.code}: ${e.message}`));

const sub = sb.subscribe(room);
sub.on('subscribed', (s) => console.log(`[subscribed] ${s.channel} at seq ${s.seq}`));
sub.on('error', (e) => console.error(`[${room}] ${e.code}: ${e.message}`));
sub.on('publication', (event) => {
  if (event.type === 'publication')
    console.log(`#${event.seq} ${event.sender?.username}: ${event.data.text}`);
  else if (event.type === 'chat_message') console.log(`#${event.seq} ${event.username}: ${event.message}`);
  else if (event.type === 'notification') console.log(`(${event.message})`);
  else console.log(`#${event.seq ?? '-'} ${event.type}`, event);
});

sb.connect();

// Published now, before the connection is up: they wait in the queue and go out once subscribed.
const acks = await Promise.all(
  ['hello', 'from', 'node'].map((text) => sb.publish(room, { text }, { id: randomUUID() })),
);
console.log(`[acked] seq ${acks.map((a) => a.seq).join(', ')}`);

const history = await sb.history(room, { since: Math.max(0, (acks.at(-1)?.seq ?? 0) - 5), limit: 5 });
console.log(
  `[history] the last ${history.messages.length}: seq ${history.messages.map((m) => m.seq).join(', ')}`,
);
const presence = await sb.presence(room);
console.log(
  `[presence] ${presence.count} connection(s): ${presence.users.map((u) => u.username).join(', ')}`,
);

process.on('SIGINT', () => {
  sb.close();
  process.exit(0);
});
