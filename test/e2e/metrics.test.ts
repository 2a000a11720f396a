import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientPool, unique } from '../integration/support/client';
import { publish, shared, token } from '../integration/support/stack';
import { launchChromium } from '../support/browser';

/**
 * The console's metrics panel (web/metrics.js) in headless Chromium: the charts of the local stack's own
 * metrics (GET /.local/metrics) move while this test connects, publishes and sends a bad frame. Other test
 * files share the stack, so every check is "at least what this test did".
 */
const { httpUrl, wsUrl } = shared();
const SCREENSHOT = resolve(import.meta.dirname, '../../test-results/console-metrics.png');

let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const clients = clientPool();

beforeAll(async () => {
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${httpUrl}/`);
});
afterAll(async () => {
  await clients.closeAll();
  await browser?.close();
});

const series = (chart: string, name: string) =>
  page.locator(`[data-chart="${chart}"] path[data-series="${name}"]`);
const total = async (chart: string, name: string) =>
  Number((await series(chart, name).getAttribute('data-total')) ?? Number.NaN);

describe('the console’s metrics panel', () => {
  it('charts connections, frames and deliveries per second, errors by code and handler latency as they happen', async () => {
    await page.locator('#metrics[data-state="live"]').waitFor();
    expect(await page.locator('#metrics-status').textContent()).toContain('service Switchboard');
    const before = {
      connects: await total('connections', 'Connects'),
      frames: await total('traffic', 'Frames'),
      deliveries: await total('traffic', 'Deliveries'),
      line: await series('traffic', 'Deliveries').getAttribute('d'),
    };
    expect(before.deliveries).toBeGreaterThanOrEqual(0);

    const room = unique('room:');
    const subscribers = await Promise.all([1, 2, 3].map(() => clients.connect(wsUrl, { channels: [room] })));
    const service = await token(httpUrl, { sub: unique('svc-'), scope: 'realtime:publish' });
    // A dozen publishes over about three seconds: the lines rise over several seconds, not one.
    for (let n = 1; n <= 12; n++) {
      const sent = await publish(httpUrl, service, { channel: room, type: 'tick', data: { n } });
      expect(sent.body).toMatchObject({ recipients: 3, delivered: 3 });
      await new Promise((r) => setTimeout(r, 250));
    }
    expect((await subscribers[0]!.request('{not json', 'error')).code).toBe('INVALID_JSON');

    await expect
      .poll(() => total('traffic', 'Deliveries'), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(before.deliveries + 36);
    // The panel redraws once a second from the stack's metrics: on a busy machine a count can take
    // more than expect.poll's default second to show, as the deliveries' above.
    await expect
      .poll(() => total('connections', 'Connects'), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(before.connects + 3);
    await expect
      .poll(() => total('traffic', 'Frames'), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(before.frames + 1);
    await series('errors', 'INVALID_JSON').waitFor({ state: 'attached' });
    expect(await total('errors', 'INVALID_JSON')).toBeGreaterThanOrEqual(1);
    // The line itself moved, and the legend shows a rate above zero.
    expect(await series('traffic', 'Deliveries').getAttribute('d')).not.toBe(before.line);
    await expect
      .poll(
        async () =>
          (await page.locator('[data-chart="traffic"] li[data-series="Deliveries"]').textContent()) ?? '',
      )
      .toMatch(/^Deliveries [0-9.]+\/s$/);
    expect(await page.locator('[data-chart="traffic"] li[data-series="Deliveries"]').textContent()).not.toBe(
      'Deliveries 0/s',
    );
    // Latency: the handlers were timed, so p50 and p99 have points.
    expect(await series('latency', 'p50').getAttribute('d')).toMatch(/^M/);
    expect(await series('latency', 'p99').getAttribute('d')).toMatch(/^M/);

    // A shorter window: the same seconds, wider.
    await page.getByLabel('window').selectOption('60');
    await page.locator('[data-chart="traffic"] .chart-from', { hasText: '−1 min' }).waitFor();
    expect(await series('traffic', 'Deliveries').getAttribute('data-total')).not.toBe('0');

    await mkdir(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    expect(pageErrors).toEqual([]);
  });
});
