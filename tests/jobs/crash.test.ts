/**
 * Crash recovery with real processes: a panel (`bun src/main.ts serve`) runs slow
 * plays and is killed with SIGKILL. Restarted, it finds the jobs interrupted, their
 * servers unlocked, their ansible-playbook processes and workspaces gone, and runs
 * new jobs.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { enqueueJob } from '../../src/areas/jobs/enqueue.ts'
import type { Job } from '../../src/areas/jobs/model.ts'
import { findJob } from '../../src/areas/jobs/repository.ts'
import { hasTool } from '../helpers.ts'
import { type PanelProcess, type SharedDatabase, sharedDatabase, startPanelProcess } from './panel-process.ts'
import { procText, waitFor } from './process.ts'
import { extraLocalServers, fixtures, waitForJob } from './support.ts'

const enabled = hasTool('ansible-playbook')
let shared: SharedDatabase
let panel: PanelProcess | null = null

beforeAll(async () => {
  if (!enabled) return
  shared = await sharedDatabase()
})
afterAll(async () => {
  if (!enabled) return
  if (panel) await panel.stop()
  if (panel) rmSync(panel.dataDir, { recursive: true, force: true })
  await shared.dispose()
})

const workingFor = (job: Job) =>
  readdirSync('/proc').filter(
    (p) => /^\d+$/.test(p) && procText(Number(p), 'cmdline').includes(`unipanel-job-${job.id}-`),
  )

describe.skipIf(!enabled)('a panel killed while jobs run', () => {
  test('restarts to find them interrupted, their servers free, their processes gone, and runs new jobs', async () => {
    panel = await startPanelProcess(shared.env)
    const servers = await extraLocalServers(shared.deps, 3, 'crash')
    const jobs = await Promise.all(
      servers.map((server) =>
        enqueueJob(shared.deps, {
          kind: 'test.slow',
          serverId: server.id,
          playbook: join(fixtures, 'slow.yml'),
          input: { seconds: 120, lines: 1 },
          requestedBy: null,
        }),
      ),
    )
    const running = await waitFor(
      'the plays to be running',
      async () => {
        const rows = await Promise.all(jobs.map((j) => findJob(shared.deps.database, j.id)))
        return rows.every((r) => r?.state === 'running' && r.pid && workingFor(r).length > 0)
          ? (rows as Job[])
          : null
      },
      30_000,
    )
    for (const job of running) expect(job.lockKey).toBe(`server:${job.serverId}`)

    panel.child.kill('SIGKILL')
    await panel.child.exited
    // Killing the panel does not kill its plays: they run in their own process groups.
    for (const job of running) expect(workingFor(job).length).toBeGreaterThan(0)

    panel = await startPanelProcess(shared.env, { dataDir: panel.dataDir })
    for (const job of running) {
      const after = await waitForJob(shared.deps, job.id, { timeoutMs: 15_000 })
      expect(after.state).toBe('interrupted')
      expect(after.lockKey).toBeNull()
      expect(after.finishedAt).not.toBeNull()
      expect(after.summary).toContain('stopped')
      expect(workingFor(job)).toEqual([])
      expect(readdirSync(tmpdir()).filter((d) => d.startsWith(`unipanel-job-${job.id}-`))).toEqual([])
    }
    const { db, t } = shared.deps.database
    const held = (await db.select().from(t.jobs)).filter((j) => j.lockKey !== null)
    expect(held).toEqual([])

    const fresh = await enqueueJob(shared.deps, {
      kind: 'test.echo',
      serverId: servers[0]!.id,
      playbook: join(fixtures, 'echo.yml'),
      input: { message: 'after the crash' },
      requestedBy: null,
    })
    expect((await waitForJob(shared.deps, fresh.id, { timeoutMs: 30_000 })).state).toBe('succeeded')
    expect(await panel.stop()).toBe(0)
    rmSync(panel.dataDir, { recursive: true, force: true })
    panel = null
  }, 90_000)
})
