/**
 * Debian's headless Chromium for the browser tests, driven by puppeteer-core (which downloads no
 * browser). .ci/run installs the `chromium` package when it is missing. The flags keep Chromium off
 * the network it would otherwise call at start (updates, sync, background fetches), which this
 * offline machine refuses.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';

export const CHROMIUM = '/usr/bin/chromium';

const OFFLINE_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface LaunchedChromium {
  browser: Browser;
  /** Close the browser and remove its fresh profile. */
  close(): Promise<void>;
}

/** A headless Chromium with a fresh, throw-away profile; `extraArgs` add proxy flags and the like. */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<LaunchedChromium> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'swivel-chromium-'));
  const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, userDataDir, args: [...OFFLINE_FLAGS, ...extraArgs] });
  return {
    browser,
    async close() {
      await browser.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}
