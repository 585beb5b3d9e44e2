import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Where Debian's `chromium` package installs the browser the page tests drive. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags for a quiet, offline headless Chromium in a container (no sandbox, no GPU, no background traffic). */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Launches Debian's headless Chromium with playwright-core (no Playwright
 * browser download; each launch gets a fresh temporary profile).
 *
 * @throws Error saying how to install Chromium when it is not there: the
 *   browser tests fail rather than skip, so a missing browser cannot pass CI.
 * @example
 * const browser = await launchChromium();
 * const page = await browser.newPage();
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `The browser tests need Debian's chromium at ${CHROMIUM_PATH}, and it is not installed. ` +
        'Install it with `sudo apt-get install -y --no-install-recommends chromium` (.ci/run installs it in CI).',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ARGS });
}
