import assert from 'node:assert/strict'
import {mkdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {before, describe, it} from 'node:test'

import type {BrowserContext, Page} from 'playwright-core'

import {openBrowser} from '../helpers/browser.js'
import {runKedge, runKedgeJson} from '../helpers/cli.js'
import {docker, kedgeContainers} from '../helpers/docker.js'
import {SIMPLE_COMPOSE} from '../helpers/git-remote.js'
import {ServeProcess} from '../helpers/serve.js'
import {registeredStack, type TestStack, uniqueName} from '../helpers/stack.js'
import {tempDir} from '../helpers/temp.js'
import {waitFor} from '../helpers/wait.js'

/** Both stacks wait for an operator: serve neither deploys their new commits nor heals them. */
const MANUAL = 'reconciliation:\n  mode: manual\n'
const IMAGES = fileURLToPath(new URL('../../docs/images/', import.meta.url))

interface DeploymentJson {
  id: number
  commit: string
  status: string
  trigger: string
}

describe('the dashboard, in a real browser against a real serve', () => {
  const home = tempDir()
  // Registered as the file is read, so that what registeredStack removes at the end is removed when the file ends.
  const registering = (async () => {
    const steady = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE, 'kedge.yaml': MANUAL}, {home, name: uniqueName('shop')})
    const drifting = await registeredStack({'docker-compose.yaml': SIMPLE_COMPOSE, 'kedge.yaml': MANUAL}, {home, name: uniqueName('blog')})
    return {steady, drifting}
  })()
  let steady: TestStack
  let drifting: TestStack
  let serve: ServeProcess
  let base: string
  let adminToken: string
  let browser: BrowserContext
  let page: Page

  before(async () => {
    ;({steady, drifting} = await registering)
    for (const stack of [steady, drifting]) {
      const synced = await runKedge(['sync', stack.name], {home})
      assert.equal(synced.code, 0, synced.stderr)
    }
    serve = new ServeProcess(home)
    base = String((await serve.waitForLog((line) => line.event === 'http.listening')).address)
    adminToken = readFileSync(path.join(home, 'admin.token'), 'utf8').trim()
    browser = await openBrowser()
    page = await browser.newPage()
  })

  it('refuses a wrong token, then logs in with the admin token into a session the page\'s script cannot read', async () => {
    const response = await page.goto(base)
    assert.equal(response?.status(), 200)
    const policy = response.headers()['content-security-policy'] ?? ''
    assert.match(policy, /script-src 'self'/)
    assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval/)
    assert.doesNotMatch(await response.text(), /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script')

    await page.getByLabel('Access token').fill(`${adminToken.slice(0, -2)}xx`)
    await page.getByRole('button', {name: 'Log in'}).click()
    await page.getByRole('alert').filter({hasText: /wrong token/}).waitFor({timeout: 5000})
    assert.equal(await page.locator('[data-stack]').count(), 0, 'nothing is shown to a wrong token')

    await page.getByLabel('Access token').fill(adminToken)
    await page.getByRole('button', {name: 'Log in'}).click()
    await page.locator(`[data-stack="${steady.name}"]`).waitFor({timeout: 10_000})
    assert.equal(await page.evaluate('document.cookie'), '', 'the session cookie is HttpOnly')
    const cookie = (await browser.cookies(base)).find((candidate) => candidate.name === 'kedge_session')
    assert.ok(cookie?.httpOnly && cookie.sameSite === 'Strict', JSON.stringify(cookie))
    const html = await page.content()
    assert.ok(!html.includes(adminToken), 'the token is nowhere on the page')
  })

  it('shows an in-sync stack, and a container stopped by hand as drift within 2 s, without a reload', async () => {
    await page.locator(`[data-stack="${steady.name}"][data-health="in_sync"]`).waitFor({timeout: 10_000})
    await page.locator(`[data-stack="${drifting.name}"][data-health="in_sync"]`).waitFor({timeout: 10_000})
    await page.locator('[data-live="true"]').waitFor({timeout: 5000})
    await page.evaluate('window.notReloaded = true')

    const [container] = kedgeContainers(drifting.name)
    assert.ok(container)
    docker('stop', container.id)
    const stoppedAt = Date.now()
    await page.locator(`[data-stack="${drifting.name}"][data-health="drifted"]`).waitFor({timeout: 2000})
    const seenAfter = Date.now() - stoppedAt
    assert.ok(seenAfter <= 2000, `drift shown ${seenAfter} ms after the container stopped`)
    assert.equal(await page.locator(`[data-stack="${drifting.name}"] [data-drift-count]`).innerText(), '1')
    assert.equal(await page.locator(`[data-stack="${steady.name}"]`).getAttribute('data-health'), 'in_sync')
    assert.equal(await page.evaluate('window.notReloaded'), true, 'the page was not reloaded')
    await saveScreenshot(page, 'dashboard-overview.png')
  })

  it('heals the drift from the stack\'s page with the deployed commit, leaving a newer one waiting, checked on the engine', async () => {
    const deployed = drifting.remote.head()
    // In manual mode a new commit waits for a sync: healing puts back what drifted and deploys nothing new.
    drifting.remote.commit({'docker-compose.yaml': `${SIMPLE_COMPOSE}    environment:\n      RELEASE: "2"\n`}, 'waits')
    await page.locator(`[data-stack="${drifting.name}"] a`).first().click()
    await page.locator(`[data-stack-page="${drifting.name}"]`).waitFor()
    await page.locator('[data-drift-service="web"][data-drift-type="stopped"]').waitFor()
    const steps = await runAction(page, 'Heal')
    assert.ok(steps.some((step) => step.includes('healing web stopped')), steps.join('\n'))
    assert.deepEqual(kedgeContainers(drifting.name).map((container) => [container.commit, container.state]), [[deployed, 'running']])
    const history = await runKedgeJson<DeploymentJson[]>(['history', drifting.name, '--json'], {home})
    assert.deepEqual([history.json[0]?.commit, history.json[0]?.trigger, history.json[0]?.status], [deployed, 'drift', 'success'])
    await waitFor('the page without drift', async () => (await page.locator(`[data-stack-page="${drifting.name}"] [data-health]`).getAttribute('data-health')) !== 'drifted', 5000)
    assert.equal(await page.locator('[data-drift-service]').count(), 0)
  })

  it('syncs a new commit and rolls it back from the page, with the steps shown as they happen', async () => {
    const first = steady.remote.head()
    const second = steady.remote.commit({'docker-compose.yaml': `${SIMPLE_COMPOSE}    environment:\n      RELEASE: "2"\n`}, 'release 2')
    await page.goto(`${base}/#/stack/${encodeURIComponent(steady.name)}`)
    await page.locator(`[data-stack-page="${steady.name}"]`).waitFor()

    const steps = await runAction(page, 'Sync now')
    assert.ok(steps.length > 0, 'the sync told its steps on the page')
    assert.deepEqual(kedgeContainers(steady.name).map((container) => [container.commit, container.state]), [[second, 'running']])
    await page.locator('[data-deployment][data-status="success"]').first().waitFor()

    await runAction(page, `Roll back to ${first.slice(0, 7)}`)
    assert.deepEqual(kedgeContainers(steady.name).map((container) => [container.commit, container.state]), [[first, 'running']])
    const history = await runKedgeJson<DeploymentJson[]>(['history', steady.name, '--json'], {home})
    assert.deepEqual(history.json.slice(0, 2).map((row) => [row.commit, row.trigger, row.status]), [[first, 'rollback', 'rolled_back'], [second, 'manual', 'success']])
    await page.locator(`[data-stack-page="${steady.name}"] [data-health="rolled_back"]`).waitFor({timeout: 5000})
    type OverviewRow = {address: string; health: string; deployed: {commit: string} | null; head: {commit: string} | null; behind: number | null}
    const overview = (await page.evaluate('fetch("/api/v1/stacks").then((response) => response.json())')) as OverviewRow[]
    const row = overview.find((candidate) => candidate.address === steady.name)
    // The clone is one commit deep: what lies between the two is not counted, and not guessed.
    assert.deepEqual([row?.health, row?.deployed?.commit, row?.head?.commit, row?.behind], ['rolled_back', first, second, null])
    await saveScreenshot(page, 'dashboard-stack.png')
  })

  it('refuses an action without the CSRF token, and changes nothing', async () => {
    const before = await runKedgeJson<DeploymentJson[]>(['history', steady.name, '--json'], {home})
    const answer = await page.evaluate(async (name) => {
      const response = await fetch(`/api/v1/repos/${name}/sync`, {method: 'POST', headers: {'content-type': 'application/json'}, body: '{}'})
      return {status: response.status, body: (await response.json()) as {error: {code: string}}}
    }, steady.name)
    assert.equal(answer.status, 403)
    assert.equal(answer.body.error.code, 'csrf_failed')
    const after = await runKedgeJson<DeploymentJson[]>(['history', steady.name, '--json'], {home})
    assert.deepEqual(after.json, before.json)
  })

  it('filters and sorts with the keyboard alone, and fits a phone\'s screen', async () => {
    await page.goto(`${base}/#/`)
    await page.locator(`[data-stack="${steady.name}"]`).waitFor()
    // From the top of the page, Tab reaches the filter; what is typed there narrows the rows at once.
    await page.locator('body').focus()
    for (let presses = 0; presses < 20 && !(await page.getByLabel('Filter by name').evaluate((input) => input === input.ownerDocument.activeElement)); presses++) {
      await page.keyboard.press('Tab')
    }
    await page.keyboard.type(drifting.name.slice(0, 6))
    assert.deepEqual(await page.locator('[data-stack]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-stack'))), [drifting.name])
    await page.getByLabel('Filter by name').fill('')
    await page.getByLabel('State').selectOption('rolled_back')
    assert.deepEqual(await page.locator('[data-stack]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-stack'))), [steady.name])
    await page.getByLabel('State').selectOption('all')
    const stackHeading = page.getByRole('button', {name: /^Stack/})
    await stackHeading.focus()
    await page.keyboard.press('Enter')
    const sorted = await page.locator('[data-stack]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-stack')))
    await page.keyboard.press('Enter')
    assert.deepEqual(await page.locator('[data-stack]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-stack'))), [...sorted].reverse(), 'Enter again sorts the other way')

    await page.setViewportSize({width: 390, height: 844})
    try {
      await page.locator(`[data-stack="${steady.name}"]`).waitFor()
      const widths = await page.evaluate('({page: document.documentElement.scrollWidth, screen: window.innerWidth})')
      assert.deepEqual(widths, {page: 390, screen: 390}, 'nothing scrolls sideways on a phone')
      await saveScreenshot(page, 'dashboard-phone.png')
    } finally {
      await page.setViewportSize({width: 1280, height: 800})
    }
  })

  it('follows the system\'s dark mode, and keeps the one chosen in the top bar', async () => {
    const background = () => page.evaluate('getComputedStyle(document.body).backgroundColor')
    const light = await background()
    await page.emulateMedia({colorScheme: 'dark'})
    await waitFor('the dark theme', async () => (await page.evaluate('document.documentElement.dataset.theme')) === 'dark', 2000)
    assert.notEqual(await background(), light)
    await page.emulateMedia({colorScheme: 'light'})
    await waitFor('the light theme again', async () => (await background()) === light, 2000)
    // The toggle goes system, light, dark: two presses choose dark whatever the system says, and a reload keeps it.
    for (let press = 0; press < 2; press++) await page.getByRole('button', {name: /theme/i}).click()
    await page.reload()
    await page.locator(`[data-stack="${steady.name}"]`).waitFor()
    assert.equal(await page.evaluate('document.documentElement.dataset.theme'), 'dark')
    await page.getByRole('button', {name: /theme/i}).click()
    assert.equal(await page.evaluate('document.documentElement.dataset.theme'), 'light', 'back to the system\'s, light')
  })

  it('shows a read-only token every stack and no action, refuses its writes, and ends its session once it is revoked', async () => {
    const created = await runKedgeJson<{token: string}>(['token', 'create', 'wallboard', '--json'], {home})
    assert.equal(created.code, 0, created.stderr)
    await page.goto(`${base}/#/`)
    await page.getByRole('button', {name: 'Log out'}).click()
    await page.getByLabel('Access token').fill(created.json.token)
    await page.getByRole('button', {name: 'Log in'}).click()
    await page.locator(`[data-stack="${drifting.name}"]`).waitFor({timeout: 10_000})
    await page.goto(`${base}/#/stack/${encodeURIComponent(steady.name)}`)
    await page.locator(`[data-stack-page="${steady.name}"]`).waitFor()
    await page.locator('[data-deployment]').first().waitFor()
    for (const name of ['Sync now', 'Suspend', 'Take down']) assert.equal(await page.getByRole('button', {name, exact: true}).count(), 0, name)
    assert.equal(await page.getByRole('button', {name: /^Roll back to/}).count(), 0)

    const answer = await page.evaluate(async (name) => {
      const session = (await (await fetch('/api/v1/session')).json()) as {role: string; csrf: string}
      const response = await fetch(`/api/v1/repos/${name}/suspend`, {method: 'POST', headers: {'content-type': 'application/json', 'x-csrf-token': session.csrf}, body: '{}'})
      return {role: session.role, status: response.status, body: (await response.json()) as {error: {code: string}}}
    }, steady.name)
    assert.deepEqual([answer.role, answer.status, answer.body.error.code], ['read', 403, 'forbidden'])
    assert.equal((await runKedgeJson<Array<{hold: unknown}>>(['status', steady.name, '--json'], {home})).json[0]?.hold, null, 'nothing changed')

    // The revoke is a commit to kedge.db: the page reads again, and is refused.
    assert.equal((await runKedge(['token', 'revoke', 'wallboard'], {home})).code, 0)
    await page.getByLabel('Access token').waitFor({timeout: 5000})
  })
})

/** Clicks the action's button, confirms it, and waits for its result; returns the progress steps the page showed. */
async function runAction(page: Page, name: string): Promise<string[]> {
  const steps: string[] = []
  await page.getByRole('button', {name, exact: true}).first().click()
  await page.getByRole('button', {name: 'Confirm'}).click()
  const progress = page.locator('[data-action-step]')
  const result = page.locator('[data-action-result]')
  await waitFor(`the result of "${name}"`, async () => {
    for (const text of await progress.allInnerTexts()) if (!steps.includes(text)) steps.push(text)
    return (await result.count()) > 0
  }, 120_000, 50)
  assert.equal(await result.getAttribute('data-action-result'), 'success', await result.innerText())
  return steps
}

async function saveScreenshot(page: Page, file: string): Promise<void> {
  mkdirSync(IMAGES, {recursive: true})
  await page.screenshot({path: path.join(IMAGES, file), fullPage: true})
}
