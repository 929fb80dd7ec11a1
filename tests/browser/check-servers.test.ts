/**
 * Servers in a real browser against a real panel with its collector running: the
 * numbers of this machine move live on the server page and the dashboard (htmx's SSE
 * extension), the stream stops while the tab is hidden and comes back when it shows,
 * the history ranges switch, and nothing breaks the CSP.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { feedsFor } from '../../src/areas/metrics/feeds.ts'
import { startMetrics } from '../../src/areas/metrics/service.ts'
import { loadMetricsSettings } from '../../src/areas/metrics/settings.ts'
import { ensureLocalServer } from '../../src/areas/servers/repository.ts'
import { type BrowserPanel, hasChromium, startBrowserPanel } from './harness.ts'

setDefaultTimeout(60_000)
const enabled = hasChromium()
let panel: BrowserPanel
let localId: number

beforeAll(async () => {
  if (!enabled) return
  panel = await startBrowserPanel()
  startMetrics(panel.deps, { ...loadMetricsSettings({}), intervalSeconds: 1 })
  localId = (await ensureLocalServer(panel.deps.database)).id
  const { user } = await panel.createUser('admin')
  await panel.signIn(panel.page, user.username)
}, 60_000)
afterAll(async () => {
  await panel?.close()
})

const liveText = () => panel.page.locator('#live').textContent()

describe.skipIf(!enabled)('check-servers', () => {
  test('the server page shows this machine’s numbers moving live', async () => {
    const { page } = panel
    await page.goto(`/servers/${localId}`)
    await page.waitForFunction(() => document.querySelector('#live')?.textContent?.includes('Last sample'))
    const first = await liveText()
    // Samples arrive every second over SSE and replace the block.
    await page.waitForFunction(
      (before) => {
        const now = document.querySelector('#live')?.textContent ?? ''
        return now.includes('Last sample') && now !== before
      },
      first,
      { timeout: 10_000 },
    )
    expect(await page.locator('#live svg polyline').count()).toBeGreaterThan(0)
    expect(await liveText()).toMatch(/CPU\s*\d+\.\d %/)
    await panel.screenshot('server-live')
    expect(panel.problems).toEqual([])
  })

  test('the stream pauses while the tab is hidden and resumes when it shows', async () => {
    const { page } = panel
    const feeds = feedsFor(panel.deps)
    const until = async (want: number) => {
      const deadline = Date.now() + 10_000
      while (Date.now() < deadline && feeds.viewers() !== want) await Bun.sleep(50)
      return feeds.viewers()
    }
    expect(await until(1)).toBe(1)
    const setHidden = (hidden: boolean) =>
      page.evaluate((value) => {
        Object.defineProperty(document, 'hidden', { configurable: true, get: () => value })
        Object.defineProperty(document, 'visibilityState', {
          configurable: true,
          get: () => (value ? 'hidden' : 'visible'),
        })
        document.dispatchEvent(new Event('visibilitychange'))
      }, hidden)
    await setHidden(true)
    expect(await until(0)).toBe(0)
    await setHidden(false)
    expect(await until(1)).toBe(1)
    expect(panel.problems).toEqual([])
  })

  test('history ranges switch without a reload', async () => {
    const { page } = panel
    await page.click('#history a:has-text("24 h")')
    await page.waitForFunction(() =>
      document.querySelector('#history')?.textContent?.includes('1-minute resolution'),
    )
    await page.click('#history a:has-text("30 d")')
    await page.waitForFunction(() =>
      document.querySelector('#history')?.textContent?.includes('1-hour resolution'),
    )
    expect(panel.problems).toEqual([])
  })

  test('the dashboard card of this host updates live', async () => {
    const { page } = panel
    await page.goto('/')
    const card = `#server-card-${localId}`
    await page.waitForSelector(card)
    const before = await page.locator(card).innerHTML()
    await page.waitForFunction(
      ([selector, html]) => document.querySelector(selector!)?.innerHTML !== html,
      [card, before] as const,
      { timeout: 10_000 },
    )
    expect(await page.locator(`${card} .badge-online`).count()).toBe(1)
    await panel.screenshot('dashboard-servers')
    expect(panel.problems).toEqual([])
  })
})
