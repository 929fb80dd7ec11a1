/**
 * Jobs in a real browser against a real panel (its runner included) and a real
 * ansible-playbook: the log of a running play arrives live over htmx's SSE
 * extension and follows its end, the status turns to succeeded without a reload and
 * the stream stops; a dry run shows its diff and "Apply these changes" applies it;
 * Cancel stops a running play. No console errors, no CSP violations.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { enqueueJob } from '../../src/areas/jobs/enqueue.ts'
import { hasTool } from '../helpers.ts'
import { extraLocalServers, fixtures, waitForJob } from '../jobs/support.ts'
import { type BrowserPanel, hasChromium, startBrowserPanel } from './harness.ts'

setDefaultTimeout(60_000)
const enabled = hasChromium() && hasTool('ansible-playbook')
let panel: BrowserPanel
let scratch: string
let adminId: number

beforeAll(async () => {
  if (!enabled) return
  panel = await startBrowserPanel()
  scratch = mkdtempSync(join(tmpdir(), 'unipanel-browser-jobs-'))
  const { user } = await panel.createUser('admin')
  adminId = user.id
  await panel.signIn(panel.page, user.username)
}, 60_000)
afterAll(async () => {
  await panel?.close()
  if (scratch) rmSync(scratch, { recursive: true, force: true })
})

async function job(input: Record<string, unknown>, options: { playbook?: string; dryRun?: boolean } = {}) {
  const [server] = await extraLocalServers(panel.deps, 1, `browser-${Date.now()}`)
  return enqueueJob(panel.deps, {
    kind: 'test.browser',
    serverId: server!.id,
    playbook: join(fixtures, options.playbook ?? 'slow.yml'),
    input,
    requestedBy: adminId,
    dryRun: options.dryRun,
  })
}

describe.skipIf(!enabled)('check-jobs', () => {
  test('a running play’s log arrives live, follows its end, and the page turns succeeded by itself', async () => {
    const { page } = panel
    const running = await job({ seconds: 3, lines: 60, say: '<b>live</b>' })
    await page.goto(`/jobs/${running.id}`)
    await page.evaluate(() => {
      ;(window as unknown as { marker: number }).marker = 1
    })
    await page.waitForFunction(() =>
      document.querySelector('#job-log')?.textContent?.includes('line 60 <b>live</b>'),
    )
    // Text, not markup: the bold tag is shown, not applied.
    expect(await page.locator('#job-log b').count()).toBe(0)
    // The log box follows the newest line.
    const scroll = await page.evaluate(() => {
      const log = document.querySelector('#job-log')!
      return {
        gap: log.scrollHeight - log.scrollTop - log.clientHeight,
        overflows: log.scrollHeight > log.clientHeight,
      }
    })
    expect(scroll.overflows).toBe(true)
    expect(scroll.gap).toBeLessThan(50)
    await page.waitForSelector('#job-status .badge-succeeded', { timeout: 30_000 })
    await page.waitForFunction(() => !document.querySelector('#job-live')?.hasAttribute('hx-sse:connect'))
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1)
    expect(await page.locator('#job-progress').textContent()).toMatch(/(\d+) of \1 tasks/)
    expect(await page.locator('#job-log').textContent()).toContain('PLAY RECAP')
    await panel.screenshot('job-succeeded')
    expect(panel.problems).toEqual([])
  })

  test('a dry run shows its diff; "Apply these changes" runs the real change', async () => {
    const { page } = panel
    const path = join(scratch, 'applied.txt')
    const preview = await job(
      { message: 'hello from the browser', path },
      { playbook: 'echo.yml', dryRun: true },
    )
    await waitForJob(panel.deps, preview.id)
    await page.goto(`/jobs/${preview.id}`)
    await expect(
      page.locator('#job-log span.text-ok', { hasText: '+hello from the browser' }).count(),
    ).resolves.toBe(1)
    expect(await page.locator('main').textContent()).toContain('This was a preview')
    expect(existsSync(path)).toBe(false)
    await panel.screenshot('job-preview')
    await page.click('button:has-text("Apply these changes")')
    // htmx swaps the new job's page in and pushes its URL.
    await page.waitForURL(
      (url) => /^\/jobs\/\d+$/.test(url.pathname) && url.pathname !== `/jobs/${preview.id}`,
    )
    const applied = Number(page.url().split('/').pop())
    expect(applied).toBeGreaterThan(preview.id)
    await page.waitForSelector('#job-status .badge-succeeded', { timeout: 30_000 })
    expect(readFileSync(path, 'utf8')).toBe('hello from the browser\n')
    expect(panel.problems).toEqual([])
  })

  test('the jobs list refreshes itself while a job runs', async () => {
    const { page } = panel
    const running = await job({ seconds: 2, lines: 1 })
    await page.goto('/jobs')
    const row = page.locator('tr', { has: page.locator(`a[href="/jobs/${running.id}"]`) })
    await row.locator('.badge-succeeded').waitFor({ timeout: 30_000 })
    expect(panel.problems).toEqual([])
  })

  test('Cancel stops a running play and the page says so', async () => {
    const { page } = panel
    const long = await job({ seconds: 120, lines: 1 })
    await page.goto(`/jobs/${long.id}`)
    await page.waitForFunction(() => document.querySelector('#job-log')?.textContent?.includes('TASK [Wait]'))
    await page.click('#job-status button:has-text("Cancel")')
    await page.waitForSelector('#job-status .badge-cancelled', { timeout: 30_000 })
    expect((await waitForJob(panel.deps, long.id)).state).toBe('cancelled')
    expect(await page.locator('#job-log').textContent()).toContain('stopping: cancelled')
    await page.goto('/jobs?state=cancelled')
    expect(await page.locator(`a[href="/jobs/${long.id}"]`).count()).toBe(1)
    await panel.screenshot('jobs-list')
    expect(panel.problems).toEqual([])
  })
})
