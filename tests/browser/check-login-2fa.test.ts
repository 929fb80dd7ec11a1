/**
 * check-login-2fa: the sign-in and two-factor pages in a real Chromium against a real
 * server. Sign in, enrol 2FA (the code computed here like an authenticator app), sign
 * out, sign in with a TOTP code, then with a recovery code; a screenshot of each step
 * goes to test-artifacts/screenshots/.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { generate } from 'otplib'
import { type Browser, chromium, type Page } from 'playwright-core'
import { hasTool, TEST_PASSWORD, type TestPanel, testPanel } from '../helpers.ts'
import { freePort, repoRoot } from '../process.ts'

const CHROMIUM = '/usr/bin/chromium'
const run = hasTool(CHROMIUM)
const shots = join(repoRoot, 'test-artifacts/screenshots')

let panel: TestPanel
let server: ReturnType<typeof Bun.serve>
let browser: Browser
let base: string

beforeAll(async () => {
  if (!run) return
  const port = freePort()
  base = `http://127.0.0.1:${port}`
  panel = await testPanel({ UNIPANEL_PUBLIC_URL: base })
  server = Bun.serve({ hostname: '127.0.0.1', port, fetch: panel.app.fetch })
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
  mkdirSync(shots, { recursive: true })
})

afterAll(async () => {
  if (!run) return
  await browser?.close()
  server?.stop(true)
  await panel?.dispose()
})

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(shots, `check-login-2fa-${name}.png`), fullPage: true })

const code = (secret: string, steps = 0) =>
  generate({ secret, epoch: Math.floor(Date.now() / 1000) + steps * 30 })

async function signInWithPassword(page: Page, username: string) {
  await page.goto(`${base}/login`)
  await page.fill('input[name="username"]', username)
  await page.fill('input[name="password"]', TEST_PASSWORD)
  await page.click('button[type="submit"]:has-text("Sign in")')
}

async function signOut(page: Page) {
  await page.click('button[aria-label="Sign out"]')
  await page.waitForURL(`${base}/login`)
}

test.skipIf(!run)(
  'sign in, enrol 2FA, sign in with a TOTP code and with a recovery code',
  async () => {
    await panel.createUser('user', { username: 'alice' })
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } })
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (err) => errors.push(err.message))
    page.on('console', (msg) => {
      // A refused code answers 401 on purpose; the browser logs that status as an error.
      if (msg.type() === 'error' && !msg.text().includes('status of 401')) errors.push(msg.text())
    })

    await page.goto(`${base}/login`)
    await shot(page, '01-login')
    await signInWithPassword(page, 'alice')
    await page.waitForURL(`${base}/`)
    await shot(page, '02-signed-in')

    await page.goto(`${base}/account/security`)
    await expect(page.locator('img[data-totp-qr]')).toBeDefined()
    const qrWidth = await page
      .locator('img[data-totp-qr]')
      .evaluate((img) => (img as HTMLImageElement).naturalWidth)
    expect(qrWidth).toBeGreaterThan(0)
    const secret = ((await page.textContent('[data-totp-secret]')) ?? '').replace(/\s+/g, '')
    expect(secret).toMatch(/^[A-Z2-7]{32}$/)
    await shot(page, '03-enrol')
    await page.fill('input[name="code"]', await code(secret))
    await page.click('button:has-text("Turn on")')
    await page.waitForSelector('[data-recovery-codes]')
    const recovery = (await page.locator('[data-recovery-codes] li').allTextContents()).map((c) => c.trim())
    expect(recovery).toHaveLength(10)
    await shot(page, '04-recovery-codes')

    await signOut(page)
    await shot(page, '05-signed-out')

    await signInWithPassword(page, 'alice')
    await page.waitForURL(`${base}/login/totp`)
    await shot(page, '06-totp-step')
    await page.fill('input[name="code"]', await code(secret, 1))
    await page.click('button:has-text("Verify")')
    await page.waitForURL(`${base}/`)
    await shot(page, '07-signed-in-with-totp')

    await signOut(page)
    await signInWithPassword(page, 'alice')
    await page.waitForURL(`${base}/login/totp`)
    await page.fill('input[name="code"]', recovery[0]!)
    await page.click('button:has-text("Verify")')
    await page.waitForURL(`${base}/`)
    await page.goto(`${base}/account/security`)
    expect(await page.textContent('main')).toContain('9 unused recovery codes left')
    await shot(page, '08-signed-in-with-recovery-code')

    await signOut(page)
    await signInWithPassword(page, 'alice')
    await page.waitForURL(`${base}/login/totp`)
    await page.fill('input[name="code"]', recovery[0]!)
    await page.click('button:has-text("Verify")')
    await page.waitForSelector('text=That code is wrong or was already used.')
    await shot(page, '09-recovery-code-used-twice')
    expect(errors).toEqual([])
    await context.close()
  },
  60_000,
)
