/**
 * The jobs UI and API over a real app and a real runner: the facts route, lists and
 * their filters, tenancy (another tenant's job is a 404), the log as text, cancel,
 * retry and apply, the job page, and its live log over SSE on a real socket.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import { enqueueBatch, enqueueJob } from '../../src/areas/jobs/enqueue.ts'
import type { PublicJob } from '../../src/areas/jobs/model.ts'
import { type JobRunner, startJobRunner } from '../../src/areas/jobs/runner.ts'
import type { User } from '../../src/areas/users/repository.ts'
import { hasTool, PUBLIC_URL, type TestPanel, testPanel } from '../helpers.ts'
import { extraLocalServers, fixtures, localServer, waitForJob } from './support.ts'

const enabled = hasTool('ansible-playbook')
const T = 60_000
let panel: TestPanel
let runner: JobRunner
let admin: User
let adminToken: string

beforeAll(async () => {
  if (!enabled) return
  panel = await testPanel()
  runner = await startJobRunner(panel.deps, { concurrency: 2, pollMs: 300, killGraceMs: 1000 })
  admin = await panel.createUser('admin')
  adminToken = await panel.token(admin)
})
afterAll(async () => {
  if (!enabled) return
  await runner.stop()
  await panel.dispose()
})

const json = async <T>(res: Response) => (await res.json()) as T

function slowJob(serverId: number, requestedBy: number | null, input: Record<string, unknown> = {}) {
  return enqueueJob(panel.deps, {
    kind: 'test.slow',
    serverId,
    playbook: join(fixtures, 'slow.yml'),
    input: { seconds: 0, lines: 1, ...input },
    requestedBy,
  })
}

describe.skipIf(!enabled)('the jobs API', () => {
  test(
    'POST /servers/{id}/facts answers 202 with the server and a job that fills the facts',
    async () => {
      const server = await localServer(panel.deps)
      const res = await panel.api(adminToken, 'POST', `/servers/${server.id}/facts`)
      expect(res.status).toBe(202)
      const body = await json<{ server: { id: number }; job: PublicJob }>(res)
      expect(body.server.id).toBe(server.id)
      expect(body.job).toMatchObject({
        kind: 'server.facts',
        server_id: server.id,
        requested_by: admin.id,
        dry_run: false,
      })
      await waitForJob(panel.deps, body.job.id)
      const got = await json<PublicJob>(await panel.api(adminToken, 'GET', `/jobs/${body.job.id}`))
      expect(got.state).toBe('succeeded')
      expect(got.recap).toMatchObject({ changed: 0, failed: 0 })
      expect(got.tasks_done).toBe(got.tasks_total!)
      expect((await localServer(panel.deps)).facts.distribution).toBeTruthy()

      const log = await panel.api(adminToken, 'GET', `/jobs/${body.job.id}/log`)
      expect(log.headers.get('content-type')).toStartWith('text/plain')
      expect(await log.text()).toContain('PLAY RECAP')
    },
    T,
  )

  test(
    'a dry run of facts leaves the server row alone; bad bodies are refused',
    async () => {
      const [server] = await extraLocalServers(panel.deps, 1, 'api-dry')
      const res = await panel.api(adminToken, 'POST', `/servers/${server!.id}/facts`, { dry_run: true })
      expect(res.status).toBe(202)
      const job = await waitForJob(panel.deps, (await json<{ job: PublicJob }>(res)).job.id)
      expect(job.dryRun).toBe(true)
      expect(job.state).toBe('succeeded')
      const { db, t } = panel.deps.database
      const [row] = await db.select().from(t.servers).where(eq(t.servers.id, server!.id))
      expect(row!.facts).toEqual({})

      expect(
        (await panel.api(adminToken, 'POST', `/servers/${server!.id}/facts`, { dry_run: 'yes' })).status,
      ).toBe(422)
      expect(
        (await panel.api(adminToken, 'POST', `/servers/${server!.id}/facts`, { role: 'admin' })).status,
      ).toBe(422)
      expect((await panel.api(adminToken, 'POST', '/servers/999999/facts')).status).toBe(404)
      const bad = await panel.api(adminToken, 'POST', `/servers/${server!.id}/bootstrap`, {
        components: ['apache'],
      })
      expect(bad.status).toBe(422)
      expect(
        (await panel.api(adminToken, 'POST', `/servers/${server!.id}/bootstrap`, { components: [] })).status,
      ).toBe(422)
    },
    T,
  )

  test(
    'lists filter by state, server, kind and user and answer {data,total}',
    async () => {
      const [a, b] = await extraLocalServers(panel.deps, 2, 'api-list')
      const user = await panel.createUser('user')
      const jobs = [
        await slowJob(a!.id, user.id),
        await slowJob(b!.id, admin.id),
        await slowJob(b!.id, admin.id),
      ]
      for (const job of jobs) await waitForJob(panel.deps, job.id)
      const list = async (qs: string) =>
        json<{ data: PublicJob[]; total: number }>(await panel.api(adminToken, 'GET', `/jobs${qs}`))
      expect((await list(`?server_id=${b!.id}`)).total).toBe(2)
      expect((await list(`?server_id=${a!.id}&user_id=${user.id}`)).data.map((j) => j.id)).toEqual([
        jobs[0]!.id,
      ])
      expect(
        (await list(`?kind=test.slow&user_id=${admin.id}&server_id=${b!.id}&state=succeeded`)).total,
      ).toBe(2)
      expect((await list(`?state=failed&server_id=${b!.id}`)).total).toBe(0)
      expect((await list(`?q=${jobs[2]!.id}`)).data[0]!.id).toBe(jobs[2]!.id)
      const page = await list(`?server_id=${b!.id}&per_page=1&page=2`)
      expect(page.total).toBe(2)
      expect(page.data.map((j) => j.id)).toEqual([jobs[1]!.id])
      expect((await panel.api(adminToken, 'GET', '/jobs?state=bogus')).status).toBe(422)
      expect((await panel.api(adminToken, 'GET', '/jobs?owner=1')).status).toBe(422)
    },
    T,
  )

  test(
    'tenancy: users see their jobs, resellers theirs and their users’, others are 404',
    async () => {
      const [server] = await extraLocalServers(panel.deps, 1, 'api-tenancy')
      const reseller = await panel.createUser('reseller')
      const child = await panel.createUser('user', { parentId: reseller.id })
      const stranger = await panel.createUser('user')
      const childJob = await slowJob(server!.id, child.id)
      const adminJob = await slowJob(server!.id, admin.id)
      await waitForJob(panel.deps, childJob.id)
      await waitForJob(panel.deps, adminJob.id)
      const [resellerToken, childToken, strangerToken] = await Promise.all([
        panel.token(reseller),
        panel.token(child),
        panel.token(stranger),
      ])
      const ids = async (token: string) =>
        (await json<{ data: PublicJob[] }>(await panel.api(token, 'GET', '/jobs?per_page=200'))).data.map(
          (j) => j.id,
        )
      expect(await ids(childToken)).toEqual([childJob.id])
      expect(await ids(resellerToken)).toEqual([childJob.id])
      expect(await ids(strangerToken)).toEqual([])
      expect((await panel.api(strangerToken, 'GET', `/jobs/${childJob.id}`)).status).toBe(404)
      expect((await panel.api(strangerToken, 'GET', `/jobs/${childJob.id}/log`)).status).toBe(404)
      expect((await panel.api(strangerToken, 'POST', `/jobs/${childJob.id}/retry`)).status).toBe(404)
      expect((await panel.api(childToken, 'GET', `/jobs/${adminJob.id}`)).status).toBe(404)
      expect((await panel.api(resellerToken, 'GET', `/jobs/${childJob.id}`)).status).toBe(200)
      // Server jobs are for admins only.
      expect((await panel.api(resellerToken, 'POST', `/servers/${server!.id}/facts`)).status).toBe(403)
      const readToken = await panel.token(admin, 'read')
      expect((await panel.api(readToken, 'POST', `/jobs/${childJob.id}/retry`)).status).toBe(403)
    },
    T,
  )

  test(
    'cancel, retry and apply: conflicts are 409, a retry is a new job with the same input',
    async () => {
      const [server] = await extraLocalServers(panel.deps, 1, 'api-retry')
      const done = await slowJob(server!.id, admin.id, { say: 'again' })
      await waitForJob(panel.deps, done.id)
      expect((await panel.api(adminToken, 'POST', `/jobs/${done.id}/cancel`)).status).toBe(409)
      expect((await panel.api(adminToken, 'POST', `/jobs/${done.id}/apply`)).status).toBe(409)
      const res = await panel.api(adminToken, 'POST', `/jobs/${done.id}/retry`)
      expect(res.status).toBe(202)
      const { job } = await json<{ job: PublicJob }>(res)
      expect(job).toMatchObject({
        retry_of: done.id,
        input: done.input,
        state: 'queued',
        requested_by: admin.id,
      })
      expect((await waitForJob(panel.deps, job.id)).state).toBe('succeeded')

      const running = await slowJob(server!.id, admin.id, { seconds: 60 })
      await waitForJob(panel.deps, running.id, { states: ['running'] })
      expect((await panel.api(adminToken, 'POST', `/jobs/${running.id}/retry`)).status).toBe(409)
      const cancel = await panel.api(adminToken, 'POST', `/jobs/${running.id}/cancel`)
      expect(cancel.status).toBe(202)
      expect((await json<{ job: PublicJob }>(cancel)).job.cancel_requested).toBe(true)
      expect((await waitForJob(panel.deps, running.id)).state).toBe('cancelled')
      const { db, t } = panel.deps.database
      const audit = await db.select().from(t.auditLog)
      expect(audit.map((a) => a.action)).toEqual(
        expect.arrayContaining(['job.retry', 'job.cancel', 'server.facts']),
      )
    },
    T,
  )
})

describe.skipIf(!enabled)('the jobs pages', () => {
  test(
    'the list and a job page show the job, its state, progress and log; buttons work',
    async () => {
      const browser = await panel.signIn('admin')
      const server = await localServer(panel.deps)
      const job = await slowJob(server.id, browser.user!.id, { say: '<b>not bold</b>' })
      await waitForJob(panel.deps, job.id)
      const list = await (await browser.get('/jobs?state=succeeded')).text()
      expect(list).toContain(`href="/jobs/${job.id}"`)
      const html = await (await browser.get(`/jobs/${job.id}`)).text()
      expect(html).toContain('id="job-log"')
      expect(html).toContain('line 1 &lt;b&gt;not bold&lt;/b&gt;')
      expect(html).not.toContain('<b>not bold</b>')
      expect(html).toContain('badge-succeeded')
      expect(html).toMatch(/\d+ of \d+ tasks/)
      expect(html).not.toContain('hx-sse:connect')
      const text = await browser.get(`/jobs/${job.id}/log`)
      expect(text.headers.get('content-type')).toStartWith('text/plain')
      expect(await text.text()).toContain('line 1 <b>not bold</b>')

      const retry = await browser.post(`/jobs/${job.id}/retry`)
      expect(retry.status).toBe(303)
      const next = Number(/\/jobs\/(\d+)$/.exec(retry.headers.get('location') ?? '')?.[1])
      expect(next).toBeGreaterThan(job.id)
      const htmx = await browser.post(`/jobs/${job.id}/retry`, undefined, { 'hx-request': 'true' })
      expect(htmx.status).toBe(200)
      expect(htmx.headers.get('hx-push-url')).toMatch(/^\/jobs\/\d+$/)
      await waitForJob(panel.deps, next)
      await waitForJob(panel.deps, Number(htmx.headers.get('hx-push-url')!.split('/').pop()))
      expect((await browser.post(`/jobs/${job.id}/cancel`)).status).toBe(409)

      const facts = await browser.post(`/servers/${server.id}/facts`)
      expect(facts.status).toBe(303)
      await waitForJob(panel.deps, Number(facts.headers.get('location')!.split('/').pop()))
      const user = await panel.signIn('user')
      expect((await user.get(`/jobs/${job.id}`)).status).toBe(404)
      expect((await user.post(`/servers/${server.id}/facts`)).status).toBe(403)
    },
    T,
  )

  test(
    'the live log streams over SSE on a real socket, then ends the stream',
    async () => {
      const browser = await panel.signIn('admin')
      const [server] = await extraLocalServers(panel.deps, 1, 'sse')
      const job = await slowJob(server!.id, browser.user!.id, { seconds: 2, lines: 3, say: '<i>x</i>' })
      const page = await (await browser.get(`/jobs/${job.id}`)).text()
      expect(page).toContain(`hx-sse:connect="/jobs/${job.id}/stream?after=`)
      const http = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: panel.app.fetch })
      const abort = new AbortController()
      try {
        const res = await fetch(`http://127.0.0.1:${http.port}/jobs/${job.id}/stream?after=0`, {
          headers: { cookie: browser.cookie, host: new URL(PUBLIC_URL).host },
          signal: abort.signal,
        })
        expect(res.status).toBe(200)
        expect(res.headers.get('content-type')).toStartWith('text/event-stream')
        // The stream ends by itself when the job does.
        const text = await res.text()
        // Lines arrive as partials appended to the log, escaped, numbered by the SSE id.
        expect(text).toContain('<hx-partial hx-target="#job-log" hx-swap="beforeend">')
        expect(text).toContain('line 3 &lt;i&gt;x&lt;/i&gt;')
        expect(text).toMatch(/^id: \d+$/m)
        expect(text).toContain('hx-target="#job-status"')
        expect(text).toContain('badge-succeeded')
        // The last message replaces the connector, so the browser does not reconnect.
        expect(text.trimEnd().split('\n\n').at(-1)).toContain('<div id="job-live"></div>')
        const lines = text.match(/line \d &lt;i&gt;/g) ?? []
        expect(lines).toEqual(['line 1 &lt;i&gt;', 'line 2 &lt;i&gt;', 'line 3 &lt;i&gt;'])
        await Bun.sleep(50)
        expect(panel.deps.events.listenerCount(`job:${job.id}`)).toBe(0)

        // Reconnecting with Last-Event-ID sends only what came after that line.
        const log = (await (await browser.get(`/jobs/${job.id}/log`)).text()).split('\n')
        const seen = log.findIndex((l) => l.includes('line 2 ')) + 1
        const resumed = await fetch(`http://127.0.0.1:${http.port}/jobs/${job.id}/stream?after=0`, {
          headers: { cookie: browser.cookie, 'last-event-id': String(seen) },
        })
        const again = await resumed.text()
        expect(again).not.toContain('line 1 ')
        expect(again).not.toContain('line 2 ')
        expect(again).toContain('line 3 &lt;i&gt;')
        expect(again).toContain('PLAY RECAP')
      } finally {
        abort.abort()
        http.stop(true)
      }
    },
    T,
  )

  test(
    'a queued job that joins another’s play streams that play’s log',
    async () => {
      const browser = await panel.signIn('admin')
      const [server] = await extraLocalServers(panel.deps, 1, 'sse-batch')
      const blocker = await slowJob(server!.id, browser.user!.id, { seconds: 2 })
      const dir = mkdtempSync(join(tmpdir(), 'unipanel-sse-batch-'))
      const jobs = await enqueueBatch(
        panel.deps,
        {
          kind: 'test.batch',
          serverId: server!.id,
          playbook: join(fixtures, 'batch.yml'),
          requestedBy: browser.user!.id,
        },
        [0, 1, 2].map((i) => ({ input: { dir, content: `joined ${i}` } })),
      )
      const follower = jobs[2]!
      const http = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: panel.app.fetch })
      try {
        // Connected while the job is still queued, with no play of its own yet.
        const res = await fetch(`http://127.0.0.1:${http.port}/jobs/${follower.id}/stream?after=0`, {
          headers: { cookie: browser.cookie },
        })
        const text = await res.text()
        expect(text).toContain(`[unipanel] job ${jobs[0]!.id} with 2 more in one play`)
        expect(text).toContain(`(item=${follower.id})`)
        expect(text).toContain('badge-succeeded')
        expect((await waitForJob(panel.deps, follower.id)).batchId).toBe(jobs[0]!.id)
        await waitForJob(panel.deps, blocker.id)
      } finally {
        http.stop(true)
        rmSync(dir, { recursive: true, force: true })
      }
    },
    T,
  )
})
