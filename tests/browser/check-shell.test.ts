/**
 * The UI shell in a real browser: the login page runs clean under the CSP, the theme
 * switch cycles and is remembered (server-rendered, so no flash), signing in leads to
 * the dashboard, the sidebar swaps #main through htmx and pushes the URL, and at
 * phone width the menu button opens the sidebar. Screenshots land in
 * test-artifacts/screenshots/.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import type { Page } from 'playwright-core'
import { NAV } from '../../partials/nav.ts'
import { type BrowserPanel, hasChromium, startBrowserPanel } from './harness.ts'

setDefaultTimeout(30_000)
const enabled = hasChromium()
let panel: BrowserPanel

beforeAll(async () => {
  if (enabled) panel = await startBrowserPanel()
}, 60_000)
afterAll(async () => {
  await panel?.close()
})

const htmlClass = (page: Page) => page.evaluate(() => document.documentElement.className)

describe.skipIf(!enabled)('check-shell', () => {
  test('the login page loads with its styles and scripts, without console errors or CSP violations', async () => {
    const { page } = panel
    const res = await page.goto('/login')
    expect(res?.status()).toBe(200)
    expect(await page.title()).toContain('Unipanel')
    await page.waitForFunction(() => 'htmx' in window)
    // The built stylesheet applies: the card has its themed background, not the browser default.
    const background = await page.evaluate(
      () => getComputedStyle(document.querySelector('.card')!).backgroundColor,
    )
    expect(background).not.toBe('rgba(0, 0, 0, 0)')
    expect(await htmlClass(page)).toBe('')
    await panel.screenshot('login')
    expect(panel.problems).toEqual([])
  })

  test('the theme button cycles system, light, dark; the choice survives a reload, rendered by the server', async () => {
    const { page } = panel
    await page.goto('/login')
    const toggle = page.locator('[data-theme-toggle]').first()
    await toggle.click()
    expect(await htmlClass(page)).toBe('light')
    await toggle.click()
    expect(await htmlClass(page)).toBe('dark')
    const cookie = (await panel.context.cookies()).find((c) => c.name === 'theme')
    expect(cookie?.value).toBe('dark')

    const reload = await page.reload()
    // The class is in the HTML the server sent, so the first paint is already dark.
    expect(await reload!.text()).toContain('<html lang="en" dir="ltr" class="dark"')
    expect(await htmlClass(page)).toBe('dark')
    expect(await toggle.getAttribute('data-theme')).toBe('dark')
    const dark = await page.evaluate(() => getComputedStyle(document.body).backgroundColor)
    await panel.screenshot('login-dark')

    await toggle.click()
    expect(await htmlClass(page)).toBe('')
    expect((await panel.context.cookies()).find((c) => c.name === 'theme')?.value).toBe('system')
    await toggle.click()
    expect(await htmlClass(page)).toBe('light')
    const light = await page.evaluate(() => getComputedStyle(document.body).backgroundColor)
    expect(light).not.toBe(dark)
    expect(panel.problems).toEqual([])
  })

  test('an admin signs in and reaches the dashboard with the full menu', async () => {
    const { page } = panel
    const { user, password } = await panel.createUser('admin', 'ada')
    await panel.signIn(page, user.username, password)
    expect(new URL(page.url()).pathname).toBe('/')
    const labels = await page.locator('#sidebar nav a').allTextContents()
    // The admin sees every menu entry; the core areas of issue 2 are among them.
    const menu = labels.map((l) => l.trim())
    expect(menu).toEqual(NAV.filter((entry) => entry.roles.includes('admin')).map((entry) => entry.label))
    for (const core of [
      'Dashboard',
      'Servers',
      'Websites',
      'Databases',
      'DNS',
      'Users',
      'Jobs',
      'Audit',
      'Account',
    ])
      expect(menu).toContain(core)
    expect(await page.locator('meta[name=csrf-token]').getAttribute('content')).toBeTruthy()
    await panel.screenshot('dashboard')
    expect(panel.problems).toEqual([])
  })

  test('the sidebar swaps #main through htmx and pushes the URL, without a full page load', async () => {
    const { page } = panel
    await page.evaluate(() => {
      ;(window as unknown as { marker: string }).marker = 'same document'
    })
    const swap = page.waitForResponse(
      (r) => r.url().endsWith('/servers') && r.request().headers()['hx-request'] === 'true',
    )
    await page.locator('#sidebar nav a[href="/servers"]').click()
    expect((await swap).status()).toBe(200)
    await page.waitForURL(`${panel.url}/servers`)
    await expect(page.locator('#main h1').first().textContent()).resolves.toContain('Servers')
    expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe('same document')
    expect(await page.title()).toContain('Servers')

    // Back restores the dashboard URL (htmx history).
    await page.goBack()
    await page.waitForURL(`${panel.url}/`)
    expect(panel.problems).toEqual([])
  })

  test('at phone width the menu button opens the sidebar and a link closes it', async () => {
    const phone = await panel.context.newPage()
    await phone.setViewportSize({ width: 390, height: 844 })
    await phone.goto('/')
    const menu = phone.locator('[data-sidebar-toggle]')
    expect(await menu.isVisible()).toBe(true)
    const sidebar = phone.locator('#sidebar')
    const offscreen = async () => {
      const box = await sidebar.boundingBox()
      return box !== null && box.x + box.width <= 0
    }
    expect(await offscreen()).toBe(true)
    await menu.click()
    expect(await sidebar.getAttribute('data-open')).not.toBeNull()
    await phone.waitForFunction(() => document.getElementById('sidebar')!.getBoundingClientRect().x >= 0)
    await panel.screenshot('phone-menu', phone)

    await phone.locator('#sidebar nav a[href="/jobs"]').click()
    await phone.waitForURL(`${panel.url}/jobs`)
    expect(await sidebar.getAttribute('data-open')).toBeNull()
    await phone.waitForFunction(() => {
      const box = document.getElementById('sidebar')!.getBoundingClientRect()
      return box.x + box.width <= 0
    })
    await panel.screenshot('phone-jobs', phone)
    // Wider than the phone the menu button is gone and the sidebar stays in place.
    await phone.setViewportSize({ width: 1024, height: 768 })
    expect(await menu.isVisible()).toBe(false)
    await phone.waitForFunction(() => document.getElementById('sidebar')!.getBoundingClientRect().x >= 0)
    await phone.close()
    expect(panel.problems).toEqual([])
  })
})
