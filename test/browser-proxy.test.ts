/**
 * Real browsers through swivel: puppeteer-core driving Debian's Chromium (/usr/bin/chromium,
 * installed by .ci/run when missing). Chromium sends proxy credentials only after a 407
 * challenge and cannot send SOCKS5 credentials at all, which is what --auth-challenge and
 * --session-ports are for. Each visit uses a fresh browser context, so a fresh connection: the
 * same IP across them is swivel's stickiness, not keep-alive.
 */
import { existsSync } from 'node:fs';
import type { Browser } from 'puppeteer-core';
import { afterEach, describe, expect, it } from 'vitest';
import { CHROMIUM, launchChromium } from './helpers/chromium.js';
import { freeRange } from './helpers/ports.js';
import { startSwivel, stopAll } from './helpers/swivel.js';

const GERMAN = ['127.0.0.11', '127.0.0.14', '127.0.0.17'];

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await stopAll();
});

async function launch(proxyServer: string): Promise<Browser> {
  const chromium = await launchChromium([
    `--proxy-server=${proxyServer}`,
    // Chromium skips the proxy for loopback targets unless told not to (the sim target is on
    // 127.0.0.1); its own calls home go direct and fail offline instead of ejecting sim upstreams.
    '--proxy-bypass-list=*.google.com;*.googleapis.com;*.gstatic.com;*.gvt1.com;<-loopback>',
  ]);
  cleanups.push(() => chromium.close());
  return chromium.browser;
}

/** Visit `url` in a fresh context (its own connections) and return the IP the target saw. */
async function visitIp(browser: Browser, url: string, credentials?: { username: string; password: string }): Promise<string> {
  const context = await browser.createBrowserContext();
  try {
    const page = await context.newPage();
    if (credentials !== undefined) await page.authenticate(credentials);
    const response = await page.goto(url, { timeout: 15_000 });
    expect(response?.status()).toBe(200);
    return (JSON.parse(await response!.text()) as { ip: string }).ip;
  } finally {
    await context.close();
  }
}

// Skipped only on a developer machine without chromium; under CI (which installs it) a missing
// browser fails the run instead of silently dropping the browser tests.
describe.skipIf(!existsSync(CHROMIUM) && process.env.CI !== 'true')('Chromium through swivel', () => {
  it('in challenge mode sends session-x-country-de after the 407 and sticks to one German IP', async () => {
    const h = await startSwivel({ flags: { 'auth-challenge': true, num: 9, life: 60 }, sim: { upstreams: 9 } });
    const browser = await launch(`http://127.0.0.1:${h.port}`);
    const credentials = { username: 'session-x-country-de', password: 'anything' };
    const ips = [];
    for (let i = 0; i < 3; i++) ips.push(await visitIp(browser, h.ipUrl, credentials));
    expect(GERMAN).toContain(ips[0]);
    expect(ips).toEqual([ips[0], ips[0], ips[0]]);
    // Without credentials to answer the challenge with, the page does not load (407, which
    // Chromium reports as a failed navigation).
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    const outcome = await page.goto(h.ipUrl, { timeout: 15_000 }).then(
      (r) => String(r?.status()),
      (e: unknown) => String(e),
    );
    expect(outcome).toMatch(/407|ERR_INVALID_AUTH_CREDENTIALS|ERR_PROXY/);
    await context.close();
  }, 60_000);

  it('with --proxy-server=socks5:// on a session port and no credentials stays on one IP', async () => {
    const first = await freeRange(2);
    const h = await startSwivel({ flags: { 'session-ports': `${first}-${first + 1}`, num: 9, life: 60 }, sim: { upstreams: 9 } });
    const browser = await launch(`socks5://127.0.0.1:${first}`);
    const ips = [];
    for (let i = 0; i < 3; i++) ips.push(await visitIp(browser, h.ipUrl));
    expect(ips).toEqual([ips[0], ips[0], ips[0]]);
    // The plain listener rotates, so the stickiness above is the port's doing.
    const rotating = await launch(`http://127.0.0.1:${h.port}`);
    const rotated = new Set<string>();
    for (let i = 0; i < 3; i++) rotated.add(await visitIp(rotating, h.ipUrl));
    expect(rotated.size).toBeGreaterThan(1);
  }, 60_000);
});
