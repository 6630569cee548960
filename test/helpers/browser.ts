import {existsSync} from 'node:fs'
import {after} from 'node:test'

import {type BrowserContext, chromium} from 'playwright-core'

import {tempDir} from './temp.js'

/** Debian's Chromium, which scripts/test-env.sh installs; no browser is ever downloaded. */
export const CHROMIUM = '/usr/bin/chromium'

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/**
 * A headless Chromium with a profile of its own (a fresh --user-data-dir), closed when the test file
 * ends: no cookie, cache or storage of another test is seen.
 */
export async function openBrowser(options: {colorScheme?: 'light' | 'dark'; viewport?: {width: number; height: number}} = {}): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/test-env.sh as root (it installs Debian's chromium)`)
  const browser = await chromium.launchPersistentContext(tempDir('kedge-chromium-'), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    colorScheme: options.colorScheme ?? 'light',
    viewport: options.viewport ?? {width: 1280, height: 800},
  })
  after(() => browser.close())
  return browser
}
