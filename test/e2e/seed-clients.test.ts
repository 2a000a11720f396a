import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/index';
import { createRuntime } from '../../shared/app/runtime';
import { clientPool, unique } from '../integration/support/client';
import { api } from '../integration/support/http';
import { startTestStack, token } from '../integration/support/stack';
import { launchChromium } from '../support/browser';

/**
 * The seed documents' own browser code, verbatim (test/fixtures/seeds/, README there says where each came
 * from), in headless Chromium against the local stack's seed port: only the host and port change, and the
 * token goes into `?token=` where the seed used a session or nothing (docs/migration.md). Each page sees
 * the frames its document shows, the server-first ones included. Snippets that open a socket and send in
 * one go are run in their documented steps (connect, then send once open): sent at once, a browser
 * refuses to send on a socket still connecting, whatever the server.
 */
const FIXTURES = resolve(import.meta.dirname, '../fixtures/seeds');
const fixture = (name: string) => readFileSync(resolve(FIXTURES, name), 'utf8');

/** What every page gets first: a record of every frame any WebSocket of the page receives (seed code untouched). */
const RECORDER = `
window.__frames = [];
window.WebSocket = class extends WebSocket {
  constructor(url, protocols) {
    super(url, protocols);
    this.addEventListener('message', (e) => window.__frames.push(JSON.parse(e.data)));
  }
};`;

let rooms: LocalStack; // the defaults: /ws/chat/ is seed 001's, /ws/notifications/ seed 001's
let chats: LocalStack; // seedChat=chats, seedNotifications=004
let browser: Browser;
/** A service's token (realtime:publish) per stack: each stack is its own issuer. */
const service = new Map<LocalStack, string>();
const pages: Page[] = [];
const clients = clientPool();

beforeAll(async () => {
  [rooms, chats, browser] = await Promise.all([
    startTestStack({ seedPort: 0 }),
    startTestStack({ seedPort: 0, seedChat: 'chats', seedNotifications: '004' }),
    launchChromium(),
  ]);
  for (const stack of [rooms, chats]) {
    service.set(stack, await token(stack.httpUrl, { sub: unique('svc-'), scope: 'realtime:publish' }));
  }
});
afterAll(async () => {
  await browser?.close();
  await Promise.all([rooms?.stop(), chats?.stop()]);
});
afterEach(async () => {
  await Promise.all(pages.splice(0).map((p) => p.close()));
  await clients.closeAll();
});

/** `ws://localhost:8000` (and 127.0.0.1) → the stack's seed port. */
const onPort = (code: string, stack: LocalStack) =>
  code.replaceAll(/ws:\/\/(localhost|127\.0\.0\.1):8000/g, `ws://$1:${new URL(stack.seedUrl!).port}`);

/** A page of the stack's origin running the recorder, then `html` (a seed page, or a script of seed code). */
async function open(stack: LocalStack, html: string) {
  const page = await browser.newPage();
  pages.push(page);
  page.setDefaultTimeout(10_000);
  const logs: string[] = [];
  page.on('console', (m) => logs.push(m.text()));
  await page.goto(`${stack.httpUrl}/v1/health`);
  await page.setContent(html.replace(/<head>|<body>/, (tag) => `${tag}<script>${RECORDER}</script>`));
  const frames = async (n: number) => {
    await page.waitForFunction((k) => (window as unknown as { __frames: unknown[] }).__frames.length >= k, n);
    return page.evaluate(() => (window as unknown as { __frames: Record<string, unknown>[] }).__frames);
  };
  return { page, logs, frames, run: (code: string) => page.addScriptTag({ content: code }) };
}

const script = (code: string) =>
  `<!DOCTYPE html><html><body><div id="counter"></div><script>${code}</script></body></html>`;
const openSocket = (page: Page, name: string) =>
  page.waitForFunction(`${name}.readyState === WebSocket.OPEN`);
const isoTime = expect.stringMatching(/^\d{4}-\d\d-\d\dT/);

describe('seed 001 in a browser', () => {
  it('chat: its chat_message comes back in the seed shape; joins and leaves are notifications', async () => {
    const [connect, send] = onPort(fixture('001-chat.js'), rooms).split('// Send message');
    const { page, logs, frames, run } = await open(rooms, script(connect!));
    await openSocket(page, 'socket');
    await run(`// Send message${send}`);
    expect(await frames(1)).toEqual([
      { type: 'chat_message', message: 'Hello!', username: 'John', timestamp: isoTime },
    ]);
    const other = await clients.connect(`${rooms.seedUrl}chat/general/`);
    // Its join is announced once its handshake is over (a socket closed before that is never announced).
    expect((await frames(2))[1]).toEqual({
      type: 'notification',
      message: 'A user joined the room',
      event: 'user_joined',
    });
    await other.close();
    expect((await frames(3))[2]).toEqual({
      type: 'notification',
      message: 'A user left the room',
      event: 'user_left',
    });
    expect(logs).toEqual(['John: Hello!', 'A user joined the room', 'A user left the room']);
  });

  it('notifications with ?token=: connection_status first, then its notifications', async () => {
    const sub = unique('n1-');
    const tok = await token(rooms.httpUrl, { sub });
    const code = onPort(fixture('001-notifications.js'), rooms).replace(
      '/ws/notifications/`',
      `/ws/notifications/?token=${tok}\``,
    );
    const { frames, logs } = await open(rooms, script(code));
    expect(await frames(1)).toEqual([
      {
        type: 'connection_status',
        status: 'connected',
        message: 'Successfully connected to notifications',
        timestamp: isoTime,
      },
    ]);
    const sent = await api(rooms.httpUrl, 'POST', '/v1/notifications', {
      bearer: service.get(rooms),
      body: { user_id: sub, title: 'New Order', message: 'Order #456 has been received', priority: 'high' },
    });
    expect(sent.status).toBe(202);
    expect((await frames(2))[1]).toEqual({
      type: 'notification',
      title: 'New Order',
      message: 'Order #456 has been received',
      priority: 'high',
      timestamp: isoTime,
    });
    expect(logs).toEqual([expect.stringMatching(/New Order: Order #456 has been received$/)]);
  });

  it('counter: the total first, then every change, as the page shows it', async () => {
    const { page, frames } = await open(rooms, script(onPort(fixture('001-counter.js'), rooms)));
    const [greeting, users] = await frames(2);
    expect(greeting).toEqual({
      type: 'counter_update',
      counter: expect.any(Number),
      message: 'Connected to counter',
    });
    expect(users).toEqual({ type: 'user_count_update', count: expect.any(Number) });
    // One at a time: concurrent changes may be delivered in any order (each frame carries its own change).
    let seen = 2;
    for (const action of ['increment', 'increment', 'decrement']) {
      await page.evaluate(`${action}()`);
      expect((await frames(++seen))[seen - 1]).toEqual({
        type: 'counter_update',
        action,
        value: 1,
        timestamp: isoTime,
      });
    }
    expect(await page.locator('#counter').textContent()).toBe('1');
  });
});

describe('seed 003 in a browser (-c seedChat=chats)', () => {
  it('the chat page, token in ?token=: what it sends is shown as the seed showed it', async () => {
    // The page's chat is `const chatId = 1`: chat 1, with this user as a participant.
    const rt = createRuntime(chats.env);
    try {
      if (!(await rt.chats.get('1'))) {
        await rt.chats.create({ id: '1', participants: ['1'], createdAt: Date.now(), createdBy: '1' });
      }
      await rt.chats.addParticipant('1', '1', '1', Date.now());
    } finally {
      rt.dispose();
    }
    const tok = await token(chats.httpUrl, { sub: '1', name: 'alice' });
    const html = onPort(fixture('003-chat-page.html'), chats).replace(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the page's own template literal, as text
      '/ws/chat/${chatId}/`',
      `/ws/chat/\${chatId}/?token=${tok}\``,
    );
    const { page, frames } = await open(chats, html);
    await openSocket(page, 'socket');
    await page.locator('#messageInput').fill('Hello everyone! This is a real-time message.');
    await page.getByRole('button', { name: 'Send' }).click();
    expect(await frames(1)).toEqual([
      {
        type: 'message',
        message: {
          id: expect.any(String),
          chat: 1,
          sender: { id: 1, username: 'alice' },
          content: 'Hello everyone! This is a real-time message.',
          timestamp: isoTime,
        },
      },
    ]);
    await expect.poll(() => page.locator('#messages strong').textContent()).toBe('alice');
    expect(await page.locator('#messages').textContent()).toContain(
      'Hello everyone! This is a real-time message.',
    );
  });
});

describe('seed 004 in a browser (-c seedNotifications=004)', () => {
  it('notifications: connection.established with the user id, notifications, ping/pong', async () => {
    const sub = unique('n4-');
    const tok = await token(chats.httpUrl, { sub });
    const [connect] = fixture('004-notifications-connect.js').split('// Using headers');
    const code = onPort(`${connect}\n${fixture('004-notifications-receive.js')}`, chats).replace(
      'YOUR_JWT_TOKEN',
      tok,
    );
    const { page, frames, logs, run } = await open(chats, script(code));
    expect(await frames(1)).toEqual([
      { type: 'connection.established', message: 'Connected to notifications', user_id: sub },
    ]);
    const sent = await api(chats.httpUrl, 'POST', '/v1/notifications', {
      bearer: service.get(chats),
      body: {
        user_id: sub,
        title: 'Task Completed',
        message: 'Your export is ready for download',
        link: '/x/1',
      },
    });
    expect(sent.status).toBe(202);
    expect((await frames(2))[1]).toEqual({
      type: 'notification',
      notification: {
        title: 'Task Completed',
        body: 'Your export is ready for download',
        timestamp: isoTime,
        priority: 'normal',
        link: '/x/1',
      },
    });
    await openSocket(page, 'ws');
    await run(fixture('004-ping.js'));
    const pong = (await frames(3))[2];
    expect(pong).toEqual({ type: 'pong', timestamp: isoTime });
    expect(logs.slice(0, 2)).toEqual(['Connected: Connected to notifications', `User ID: ${sub}`]);
    expect(logs[2]).toMatch(/^Notification: /);
  });

  it('org events with a token: connection.established with the org, then each event', async () => {
    const org = '123e4567-e89b-12d3-a456-426614174000'; // the document's orgId
    const tok = await token(chats.httpUrl, { sub: unique('m-'), orgs: [org] });
    const code = onPort(fixture('004-events.js'), chats).replace('YOUR_JWT_TOKEN', tok);
    const { frames, logs } = await open(chats, script(code));
    expect(await frames(1)).toEqual([
      {
        type: 'connection.established',
        message: `Connected to organization ${org}`,
        user_id: expect.any(String),
        org_id: org,
      },
    ]);
    const data = {
      user_id: 'user-456',
      user_email: 'newuser@example.com',
      timestamp: '2025-01-15T10:30:00Z',
    };
    const sent = await api(chats.httpUrl, 'POST', `/v1/orgs/${org}/events`, {
      bearer: service.get(chats),
      body: { event_type: 'user.joined', data },
    });
    expect(sent.status).toBe(202);
    expect((await frames(2))[1]).toEqual({ type: 'event', event_type: 'user.joined', data });
    expect(logs.slice(0, 2)).toEqual([`Connected to org: ${org}`, 'Event type: user.joined']);
  });
});
