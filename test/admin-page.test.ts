/**
 * The status page in a real browser: Debian's chromium, headless, driven by puppeteer-core (no
 * browser download). It must render the pool table with one row per endpoint, log no console
 * errors, and turn a broken endpoint's row red. The screenshot is kept in test-artifacts/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { adminGet } from './helpers/admin.js';
import { launchChromium, type LaunchedChromium } from './helpers/chromium.js';
import { proxyGet } from './helpers/http-client.js';
import { startSwivel, stopAll } from './helpers/swivel.js';

const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));

let chromium: LaunchedChromium | undefined;
let browser: Browser;

beforeAll(async () => {
  chromium = await launchChromium();
  browser = chromium.browser;
}, 60_000);

afterAll(async () => {
  await chromium?.close();
});

afterEach(stopAll);

describe('status page in headless Chromium', () => {
  it('shows one row per endpoint, colours an ejected one red, and logs no console errors', async () => {
    const h = await startSwivel({
      admin: true,
      flags: { num: 6, 'max-failures': 1 },
    });
    const adminPort = h.app.admin!.port;
    // Break one endpoint and send traffic until it is ejected.
    const endpoints = h.app.pool.defaultPool.endpoints;
    const broken = h.sim.upstreams.find((u) => u.port === endpoints[0]!.port)!;
    await broken.setMode('refuse');
    for (let i = 0; i < 6; i++) expect((await proxyGet(h.port, h.ipUrl)).status).toBe(200);
    expect(endpoints[0]!.health).toBe('ejected');

    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(msg.text());
    });
    page.on('pageerror', (err) => problems.push(String(err)));
    page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()}`));
    const requested: string[] = [];
    page.on('request', (req) => {
      if (!req.url().startsWith('data:')) requested.push(req.url());
    });
    const response = await page.goto(`http://127.0.0.1:${adminPort}/`, { waitUntil: 'load', timeout: 15_000 });
    expect(response?.status()).toBe(200);

    const rows = await page.$$eval('table.pool tbody tr', (trs) => trs.map((tr) => ({ cls: tr.className, id: tr.cells[0]?.textContent })));
    expect(rows.length).toBe(h.app.stats().pools[0]!.endpoints.length);
    expect(rows.length).toBe(6);
    expect(rows.filter((r) => r.cls === 'ejected').map((r) => r.id)).toEqual([endpoints[0]!.id]);
    const red = await page.$eval(
      'tr.ejected td',
      (td) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(td).backgroundColor,
    );
    expect(red).toBe('rgb(255, 144, 144)');
    // Self-contained: the only request the page made is itself.
    expect(requested).toEqual([`http://127.0.0.1:${adminPort}/`]);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'status-page.png'), fullPage: true });
    await page.close();
    expect(problems).toEqual([]);
    // The JSON the page is built from agrees.
    const status = JSON.parse((await adminGet(adminPort, '/status')).body) as { pools: Array<{ ejected: number }> };
    expect(status.pools[0]!.ejected).toBe(1);
  }, 60_000);
});
