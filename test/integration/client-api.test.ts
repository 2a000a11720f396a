import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type ChannelEvent, Switchboard, type SwitchboardError } from '../../client/index';
import { unique } from './support/client';
import { shared, token } from './support/stack';

/** The client's calls against the shared local stack: tokens, refusals, errors, history, presence. */
const { httpUrl, wsUrl } = shared();
const clients: Switchboard[] = [];
afterEach(() => {
  for (const sb of clients.splice(0)) sb.close();
});

function client(options: ConstructorParameters<typeof Switchboard>[1] = {}): Switchboard {
  const sb = new Switchboard(wsUrl, { WebSocket, ...options });
  clients.push(sb);
  return sb;
}

const next = <T>(subscribe: (resolve: (value: T) => void) => void) => new Promise<T>(subscribe);

describe('the client against the local stack', () => {
  it('connects with a token from getToken, and is subscribed to its user channel', async () => {
    const sub = unique('alice-');
    const sb = client({ getToken: () => token(httpUrl, { sub }) });
    const connected = next<{ user_id: string | null; channels: string[] }>((r) => sb.on('connected', r));
    sb.connect();
    expect(await connected).toMatchObject({ user_id: sub, channels: [`user:${sub}`] });
  });

  it('stops after a refused handshake (401 in Node), asking getToken twice, no loop', async () => {
    let asked = 0;
    const sb = client({
      getToken: () => {
        asked++;
        return 'not-a-token';
      },
    });
    const refused = next<SwitchboardError>((r) => sb.on('error', r));
    sb.connect();
    expect(await refused).toMatchObject({ code: 'REFUSED', status: 401 });
    expect(sb.state).toBe('disconnected');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(asked).toBe(2);
  });

  it('publishes with an id once: a repeat is acked duplicate, delivered once', async () => {
    const room = unique('room:');
    const sb = client();
    const sub = sb.subscribe(room);
    const got: ChannelEvent[] = [];
    sub.on('publication', (e) => got.push(e));
    sb.connect();
    const first = await sb.publish(room, { text: 'once' }, { id: 'same-id' });
    const again = await sb.publish(room, { text: 'once' }, { id: 'same-id' });
    expect(first).toMatchObject({ ref: 'same-id', channel: room, seq: 1, duplicate: false });
    expect(again).toMatchObject({ ref: 'same-id', id: first.id, duplicate: true });
    await new Promise((r) => setTimeout(r, 300));
    expect(got.map((e) => e.id)).toEqual([first.id]);
  });

  it('rejects a publish with the PROTOCOL code, and ends a refused subscription', async () => {
    const sb = client();
    sb.connect();
    const notSubscribed = await sb.publish(unique('room:'), { text: 'x' }).catch((e: SwitchboardError) => e);
    expect(notSubscribed).toMatchObject({ name: 'SwitchboardError', code: 'NOT_SUBSCRIBED' });

    const org = sb.subscribe('org:acme');
    const refused = next<SwitchboardError>((r) => org.on('error', r));
    expect(await refused).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(org.state).toBe('unsubscribed');
  });

  it('reads history and presence over the HTTP API', async () => {
    const room = unique('room:');
    const sb = client();
    sb.subscribe(room);
    sb.connect();
    for (const text of ['a', 'b', 'c']) await sb.publish(room, { text });
    const page = await sb.history(room, { since: 1, limit: 10 });
    expect(page.messages.map((m) => [m.seq, (m as { data: { text: string } }).data.text])).toEqual([
      [2, 'b'],
      [3, 'c'],
    ]);
    expect(await sb.presence(room)).toMatchObject({ channel: room, count: 1, anonymous: 1 });
    await expect(sb.history('live')).rejects.toMatchObject({ code: 'INVALID_CHANNEL', status: 400 });
  });
});
