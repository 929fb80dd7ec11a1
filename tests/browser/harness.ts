/**
 * Browser tests: a real panel (createApp behind Bun.serve, as `unipanel serve` runs it)
 * on a loopback port, driven by playwright-core in Debian's chromium, headless, with a
 * fresh profile. Console errors, uncaught page errors, CSP violations and 5xx answers
 * are collected in `problems`, so a test can assert the page ran clean.
 *
 * @example
 *   const panel = await startBrowserPanel()
 *   const { user, password } = await panel.createUser('admin')
 *   await panel.signIn(panel.page, user.username, password)
 *   await panel.screenshot('dashboard')
 *   await panel.close()
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, chromium, type Page } from 'playwright-core'
import { createUser, type Role, type User } from '../../src/areas/users/repository.ts'
import { serve } from '../../src/boot.ts'
import { hasTool, TEST_PASSWORD, type TestDeps, testDeps } from '../helpers.ts'
import { freePort, repoRoot } from '../process.ts'

export const CHROMIUM = '/usr/bin/chromium'
/** The flags this machine needs (env skill, node-svc): no sandbox as root, no background traffic. */
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
export const SCREENSHOTS = join(repoRoot, 'test-artifacts/screenshots')

/** True when chromium is installed; false skips, unless system tests are required (then it throws). */
export const hasChromium = () => hasTool(CHROMIUM)

export type BrowserPanel = {
  /** The panel's origin, e.g. http://127.0.0.1:41234 (also its UNIPANEL_PUBLIC_URL). */
  url: string
  deps: TestDeps
  context: BrowserContext
  /** The first tab; open more with context.newPage(). */
  page: Page
  /** Console errors, page errors, CSP violations and 5xx answers seen so far, in order. */
  problems: string[]
  createUser(role?: Role, username?: string): Promise<{ user: User; password: string }>
  /** Signs in through the login form and waits for the dashboard. */
  signIn(page: Page, username: string, password?: string): Promise<void>
  /** Saves test-artifacts/screenshots/<name>.png and returns its path. */
  screenshot(name: string, page?: Page): Promise<string>
  close(): Promise<void>
}

let userCounter = 0

export async function startBrowserPanel(
  options: { env?: Record<string, string> } = {},
): Promise<BrowserPanel> {
  const port = freePort()
  const url = `http://127.0.0.1:${port}`
  const deps = await testDeps({
    UNIPANEL_PUBLIC_URL: url,
    HOST: '127.0.0.1',
    PORT: String(port),
    ...options.env,
  })
  const server = await serve(deps)
  const profile = mkdtempSync(join(tmpdir(), 'unipanel-chromium-'))
  let context: BrowserContext
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
      baseURL: url,
    })
  } catch (err) {
    await server.stop(true)
    await deps.dispose()
    rmSync(profile, { recursive: true, force: true })
    throw err
  }

  const problems: string[] = []
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || 'inline'}`)
    })
  })
  const watch = (page: Page) => {
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`)
    })
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
    page.on('response', (response) => {
      if (response.status() >= 500) problems.push(`${response.status()} from ${response.url()}`)
    })
  }
  for (const open of context.pages()) watch(open)
  context.on('page', watch)
  const page = context.pages()[0] ?? (await context.newPage())

  return {
    url,
    deps,
    context,
    page,
    problems,
    async createUser(role = 'admin', username = `${role}${++userCounter}`) {
      const user = await createUser(deps.database, { username, role, password: TEST_PASSWORD })
      return { user, password: TEST_PASSWORD }
    },
    async signIn(target, username, password = TEST_PASSWORD) {
      await target.goto('/login')
      await target.fill('input[name=username]', username)
      await target.fill('input[name=password]', password)
      await Promise.all([
        target.waitForURL(`${url}/`),
        target.click('form[action="/login"] button[type=submit]'),
      ])
      await target.waitForSelector('#main')
    },
    async screenshot(name, target = page) {
      mkdirSync(SCREENSHOTS, { recursive: true })
      const path = join(SCREENSHOTS, `${name}.png`)
      await target.screenshot({ path })
      return path
    },
    async close() {
      await context.close().catch(() => {})
      await server.stop(true)
      await deps.dispose()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}
