/**
 * Two real panel processes sharing one PostgreSQL database: they claim jobs with
 * FOR UPDATE SKIP LOCKED, so each of 50 jobs runs exactly once (each run leaves a
 * file of its own), never two at a time on one server; and a job's live log reaches
 * a viewer on the other process through LISTEN/NOTIFY. PostgreSQL only: on SQLite
 * the panel is one process.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { enqueueJob } from '../../src/areas/jobs/enqueue.ts'
import type { Job } from '../../src/areas/jobs/model.ts'
import { findJob } from '../../src/areas/jobs/repository.ts'
import { createUser } from '../../src/areas/users/repository.ts'
import { hasTool, TEST_PASSWORD, testPgUrl } from '../helpers.ts'
import { type PanelProcess, type SharedDatabase, sharedDatabase, startPanelProcess } from './panel-process.ts'
import { extraLocalServers, fixtures, waitForJob } from './support.ts'

const enabled = testPgUrl !== null && hasTool('ansible-playbook')
let shared: SharedDatabase
let panels: PanelProcess[] = []
let records: string

beforeAll(async () => {
  if (!enabled) return
  shared = await sharedDatabase()
  records = mkdtempSync(join(tmpdir(), 'unipanel-records-'))
  panels = await Promise.all(
    [0, 1].map(() => startPanelProcess(shared.env, { extraEnv: { UNIPANEL_JOB_CONCURRENCY: '4' } })),
  )
})
afterAll(async () => {
  if (!enabled) return
  for (const panel of panels) {
    await panel.stop()
    rmSync(panel.dataDir, { recursive: true, force: true })
  }
  await shared.dispose()
  rmSync(records, { recursive: true, force: true })
})

/** Signs in on one panel process and returns its session cookie. */
async function signIn(panel: PanelProcess, username: string): Promise<string> {
  const res = await fetch(`${panel.url}/login`, {
    method: 'POST',
    headers: { origin: panel.url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password: TEST_PASSWORD }),
    redirect: 'manual',
  })
  if (res.status !== 303) throw new Error(`sign-in on ${panel.url} answered ${res.status}`)
  const cookie = res.headers.getSetCookie().find((c) => c.includes('unipanel_session'))
  return cookie!.split(';')[0]!
}

/** Reads an SSE stream to its end, noting when `needle` first arrived. */
async function readStream(url: string, cookie: string, needle: string) {
  const res = await fetch(url, { headers: { cookie } })
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`)
  const reader = res.body!.getReader()
  const decoder = new TextDecoder()
  let text = ''
  let seenAt: number | null = null
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    text += decoder.decode(read.value, { stream: true })
    if (seenAt === null && text.includes(needle)) seenAt = Date.now()
  }
  return { text, seenAt }
}

describe.skipIf(!enabled)('two panel processes on one PostgreSQL database', () => {
  test('run each of 50 jobs exactly once, one at a time per server', async () => {
    const servers = await extraLocalServers(shared.deps, 10, 'shared')
    const jobs: Job[] = []
    for (let i = 0; i < 50; i++) {
      jobs.push(
        await enqueueJob(shared.deps, {
          kind: 'test.record',
          serverId: servers[i % servers.length]!.id,
          playbook: join(fixtures, 'record-run.yml'),
          input: { record_dir: records },
          requestedBy: null,
        }),
      )
    }
    const done = await Promise.all(jobs.map((j) => waitForJob(shared.deps, j.id, { timeoutMs: 150_000 })))
    for (const job of done) expect(job.state).toBe('succeeded')

    const runs = readdirSync(records).map((name) => Number(/^job-(\d+)\./.exec(name)?.[1]))
    expect(runs.length).toBe(50)
    expect(new Set(runs).size).toBe(50)
    expect([...new Set(runs)].sort((a, b) => a - b)).toEqual(jobs.map((j) => j.id))

    // Both processes took a share.
    const byRunner = new Map<string, number>()
    for (const job of done) byRunner.set(job.runner!, (byRunner.get(job.runner!) ?? 0) + 1)
    expect(byRunner.size).toBe(2)

    // One server, one play at a time, whichever process ran it.
    for (const server of servers) {
      const mine = done.filter((j) => j.serverId === server.id).sort((a, b) => +a.startedAt! - +b.startedAt!)
      for (let i = 1; i < mine.length; i++)
        expect(mine[i]!.startedAt!.getTime()).toBeGreaterThanOrEqual(mine[i - 1]!.finishedAt!.getTime())
    }
  }, 180_000)

  test('a viewer on the other process sees the live log through LISTEN/NOTIFY', async () => {
    const admin = await createUser(shared.deps.database, {
      username: 'viewer',
      role: 'admin',
      password: TEST_PASSWORD,
    })
    const cookies = await Promise.all(panels.map((p) => signIn(p, admin.username)))
    const [server] = await extraLocalServers(shared.deps, 1, 'live')
    // A blocker keeps the watched job queued until both viewers are connected.
    const blocker = await enqueueJob(shared.deps, {
      kind: 'test.slow',
      serverId: server!.id,
      playbook: join(fixtures, 'slow.yml'),
      input: { seconds: 3, lines: 1 },
      requestedBy: null,
    })
    const watched = await enqueueJob(shared.deps, {
      kind: 'test.slow',
      serverId: server!.id,
      playbook: join(fixtures, 'slow.yml'),
      input: { seconds: 4, lines: 3, say: 'live' },
      requestedBy: admin.id,
    })
    const streams = panels.map((p, i) =>
      readStream(`${p.url}/jobs/${watched.id}/stream?after=0`, cookies[i]!, 'line 3 live'),
    )
    await waitForJob(shared.deps, blocker.id, { timeoutMs: 30_000 })
    expect((await findJob(shared.deps.database, watched.id))!.startedAt).not.toBeNull()
    const finished = await waitForJob(shared.deps, watched.id, { timeoutMs: 30_000 })
    const results = await Promise.all(streams)
    const runnerPort = panels.findIndex((p) => finished.runner?.includes(`:${p.child.pid}:`))
    expect(runnerPort).toBeGreaterThanOrEqual(0)
    const other = results[1 - runnerPort]!
    expect(other.text).toContain('line 3 live')
    expect(other.text).toContain('badge-succeeded')
    // It arrived live, while the play still slept, not with the archived log at the end.
    expect(other.seenAt!).toBeLessThan(finished.finishedAt!.getTime() - 1500)
    expect(results[runnerPort]!.text).toContain('line 3 live')
  }, 60_000)
})
