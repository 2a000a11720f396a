import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clientPool, unique } from '../integration/support/client';
import { publish, shared, token } from '../integration/support/stack';
import { launchChromium } from '../support/browser';

/**
 * The console page (web/) in headless Chromium, against a local stack: what a developer does with it,
 * clicked through. Which Chromium: test/support/browser.ts (never a download).
 */
const { httpUrl, wsUrl } = shared();
const SCREENSHOT = resolve(import.meta.dirname, '../../test-results/console.png');

let browser: Browser;
let page: Page;
let pageErrors: string[];
const clients = clientPool();

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(() => browser?.close());

beforeEach(async () => {
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.setDefaultTimeout(15_000);
  pageErrors = [];
  // Uncaught exceptions and rejections of the page's script (the browser's own notes on 401s are fine).
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${httpUrl}/`);
});
afterEach(async () => {
  await page.close();
  await clients.closeAll();
});

/** The log entries that match, as the page shows them. */
const entries = (selector: string, text?: string) =>
  page.locator(`#log li.entry${selector}`, text === undefined ? {} : { hasText: text });

async function subscribe(channel: string) {
  await page.getByLabel('channel', { exact: true }).first().fill(channel);
  await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
  await page.locator(`#subscriptions li[data-channel="${channel}"]`).waitFor();
}

describe('the console page', () => {
  it('is served at / with its script and styles, and defaults to this stack', async () => {
    expect(await page.title()).toBe('Switchboard console');
    expect(await page.locator('#ws-url').inputValue()).toBe(wsUrl);
    expect(await page.locator('#http-base').inputValue()).toBe(httpUrl);
    expect(await page.locator('#status').textContent()).toBe('Not connected');
    const styled = await page.locator('header.topbar').evaluate((e) => getComputedStyle(e).display);
    expect(styled).toBe('flex');
    expect(pageErrors).toEqual([]);
  });

  it('connects anonymously, says hello, subscribes to a room and shows a message published over HTTP', async () => {
    const room = unique('room:');
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.locator('#status', { hasText: 'Connected anonymous' }).waitFor();
    await entries('[data-direction="out"][data-type="hello"]').waitFor();
    const established = entries('[data-direction="in"][data-type="connection.established"]');
    expect(await established.locator('pre').textContent()).toContain('"user_id": null');

    await subscribe(room);
    expect(await page.locator(`#subscriptions li[data-channel="${room}"]`).textContent()).toContain('seq 0');

    const service = await token(httpUrl, { sub: unique('svc-'), scope: 'realtime:publish' });
    const sent = await publish(httpUrl, service, {
      channel: room,
      type: 'api_message',
      data: { message: 'Hello from the test <b>not bold</b>' },
    });
    expect(sent).toMatchObject({ status: 202, body: { recipients: 1, delivered: 1 } });

    const arrived = entries(`[data-direction="in"][data-type="api_message"][data-channel="${room}"]`);
    await arrived.waitFor();
    const shown = await arrived.locator('pre').textContent();
    expect(JSON.parse(shown ?? '')).toMatchObject({
      type: 'api_message',
      channel: room,
      id: sent.body.id,
      seq: 1,
      message: 'Hello from the test <b>not bold</b>',
    });
    // Frame content is text, never markup.
    expect(await arrived.locator('b').count()).toBe(0);
    // The newest seq is kept per subscription (the `since` for recovery).
    await page.locator(`#subscriptions li[data-channel="${room}"]`, { hasText: 'seq 1' }).waitFor();
    expect(pageErrors).toEqual([]);
  });

  it('mints a token, connects as that user, sends frames and publishes through its own HTTP form', async () => {
    const room = unique('room:');
    const sub = unique('alice-');
    const watcher = await clients.connect(wsUrl, { channels: [room] });

    await page.getByLabel('sub', { exact: true }).fill(sub);
    await page.getByLabel('orgs', { exact: true }).fill('acme,globex');
    await page.getByLabel('name', { exact: true }).fill('Alice');
    await page.getByRole('button', { name: 'Mint dev token' }).click();
    await page.locator('#token-info', { hasText: `sub ${sub} · orgs acme,globex` }).waitFor();
    expect(await page.locator('#token').inputValue()).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/);

    await page.getByLabel('channels', { exact: true }).fill(room);
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.locator('#status', { hasText: `Connected as ${sub}` }).waitFor();
    // ?channels= and the automatic user:{sub} are listed as subscriptions.
    await page.locator(`#subscriptions li[data-channel="${room}"]`).waitFor();
    await page.locator(`#subscriptions li[data-channel="user:${sub}"]`).waitFor();

    // A frame from a template: publish to the connection's room, ack and publication come back.
    await page.locator('[data-template="publish"]').click();
    const editor = page.getByLabel(/^Frame \(/);
    expect(JSON.parse(await editor.inputValue())).toMatchObject({ type: 'publish', channel: room });
    await editor.press('Control+Enter');
    await entries('[data-direction="out"][data-type="publish"]').waitFor();
    await entries('[data-direction="in"][data-type="ack"]').waitFor();
    const own = entries(`[data-direction="in"][data-type="publication"][data-channel="${room}"]`);
    expect(JSON.parse((await own.locator('pre').textContent()) ?? '')).toMatchObject({
      sender: { id: sub, username: 'Alice' },
      data: { text: 'Hello from the console' },
    });
    // ... and it went over the wire: another client in the room got it.
    expect(await watcher.nextOfType('publication')).toMatchObject({ sender: { id: sub } });

    // Text that is not JSON is held back until sent on purpose; the server answers INVALID_JSON.
    await editor.fill('{not json');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.locator('#frame-error', { hasText: 'Not valid JSON' }).waitFor();
    await page.getByRole('button', { name: 'Send anyway (not JSON)' }).click();
    await entries('[data-direction="in"][data-type="error"]', 'INVALID_JSON').waitFor();

    // HTTP publish without a token: the problem document is shown.
    await page.getByLabel('channel', { exact: true }).nth(1).fill(room);
    await page.getByRole('button', { name: 'POST /v1/publish' }).click();
    await page.locator('#http-status', { hasText: '401' }).waitFor();

    // With a minted realtime:publish token: 202 and the event arrives in the log.
    await page.getByRole('button', { name: 'Mint', exact: true }).click();
    await expect.poll(() => page.locator('#http-token').inputValue()).toMatch(/^ey/);
    await page.getByLabel('data', { exact: true }).fill('{"message": "Hello from the HTTP form"}');
    await page.getByRole('button', { name: 'POST /v1/publish' }).click();
    await page.locator('#http-status', { hasText: '202 Accepted' }).waitFor();
    expect(JSON.parse((await page.locator('#http-response').textContent()) ?? '')).toMatchObject({
      recipients: 2,
      delivered: 2,
    });
    await entries('[data-type="api_message"]', 'Hello from the HTTP form').waitFor();
    expect(await watcher.nextOfType('api_message')).toMatchObject({ message: 'Hello from the HTTP form' });

    await mkdir(dirname(SCREENSHOT), { recursive: true });
    await page.locator('.controls').evaluate((e) => e.scrollTo(0, 0));
    await page.screenshot({ path: SCREENSHOT });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: SCREENSHOT.replace('.png', '-dark.png') });
    const background = await page.locator('body').evaluate((e) => getComputedStyle(e).backgroundColor);
    expect(background).toBe('rgb(17, 19, 24)');

    // One line per frame when "pretty" is off.
    const fromForm = entries('[data-type="api_message"]', 'Hello from the HTTP form').locator('pre');
    expect(await fromForm.textContent()).toContain('\n');
    await page.getByLabel('pretty').uncheck();
    expect(await fromForm.textContent()).toMatch(/^\{"type":"api_message",[^\n]*\}$/);

    // The filter hides what does not match; Clear empties the log.
    await page.getByLabel('Filter frames').fill('hello from the http form');
    await expect.poll(() => entries(':not([hidden])').count()).toBe(1);
    expect(await page.locator('#log-count').textContent()).toMatch(/^1 of \d+$/);
    await page.getByLabel('Filter frames').fill('');
    await page.getByRole('button', { name: 'Clear', exact: true }).click();
    expect(await entries('').count()).toBe(0);

    // Unsubscribe from the list, then disconnect: the close code is shown.
    await page.getByRole('button', { name: `Unsubscribe from ${room}` }).click();
    await page.locator(`#subscriptions li[data-channel="${room}"]`).waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Disconnect' }).click();
    await page.locator('#status', { hasText: 'Closed 1000' }).waitFor();
    expect(await page.locator('#close-info').textContent()).toContain('1000 (normal closure)');
    expect(await page.locator('#subscriptions').textContent()).toBe('None');
    expect(pageErrors).toEqual([]);
  });

  it('says a refused handshake was refused, and points at the server log', async () => {
    await page.locator('#token').fill('not-a-token');
    expect(await page.locator('#token-info').textContent()).toContain('Not a JWT');
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.locator('#status[data-state="refused"]').waitFor();
    expect(await page.locator('#status').textContent()).toContain('401/403');
    expect(await page.locator('#close-info').textContent()).toContain('server log');
    expect(pageErrors).toEqual([]);
  });
});
