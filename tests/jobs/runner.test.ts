/**
 * The job runner against a real ansible-playbook and a real database: facts onto the
 * server, locks, concurrency, cancel, timeout, retry, dry runs, batches, secrets and
 * recovery after a dead panel process.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { enqueueBatch, enqueueJob, repeatJob } from '../../src/areas/jobs/enqueue.ts'
import { jobLogPath } from '../../src/areas/jobs/log.ts'
import { registerJobKind } from '../../src/areas/jobs/model.ts'
import { findJob } from '../../src/areas/jobs/repository.ts'
import { type JobRunner, startJobRunner } from '../../src/areas/jobs/runner.ts'
import { gatherFacts } from '../../src/areas/jobs/server-jobs.ts'
import { cancelJob } from '../../src/areas/jobs/service.ts'
import { observeSpawns } from '../../src/lib/spawn.ts'
import { hasTool, type TestPanel, testPanel } from '../helpers.ts'
import { groupMembers, waitFor } from './process.ts'
import { extraLocalServers, fixtures, localServer, waitForJob } from './support.ts'

const enabled = hasTool('ansible-playbook')
let panel: TestPanel
let runner: JobRunner
let scratch: string

beforeAll(async () => {
  if (!enabled) return
  panel = await testPanel()
  runner = await startJobRunner(panel.deps, { concurrency: 3, killGraceMs: 1500, pollMs: 500 })
  scratch = mkdtempSync(join(tmpdir(), 'unipanel-jobs-test-'))
})
afterAll(async () => {
  if (!enabled) return
  await runner.stop()
  await panel.dispose()
  rmSync(scratch, { recursive: true, force: true })
})

describe.skipIf(!enabled)('the job runner', () => {
  const T = 60_000

  test(
    'a job is seen as ended only after its kind has applied the result',
    async () => {
      let applied = false
      registerJobKind({
        kind: 'test.slow-hook',
        label: 'Slow hook',
        timeoutSeconds: 60,
        async onFinished(_deps, job) {
          await Bun.sleep(300)
          applied = job.state === 'succeeded'
        },
      })
      const server = await localServer(panel.deps)
      const job = await enqueueJob(panel.deps, {
        kind: 'test.slow-hook',
        serverId: server.id,
        playbook: 'ping.yml',
        input: {},
        requestedBy: null,
      })
      const done = await waitForJob(panel.deps, job.id)
      expect(done.state).toBe('succeeded')
      expect(applied).toBe(true)
    },
    T,
  )

  test(
    'gathers facts onto the server row; a second run changes nothing, and waits for the first',
    async () => {
      const server = await localServer(panel.deps)
      const first = await gatherFacts(panel.deps, server.id, { requestedBy: null })
      const second = await gatherFacts(panel.deps, server.id, { requestedBy: null })
      const [a, b] = [await waitForJob(panel.deps, first.id), await waitForJob(panel.deps, second.id)]
      for (const job of [a, b]) {
        expect(job.state).toBe('succeeded')
        expect(job.exitCode).toBe(0)
        expect(job.recap).toMatchObject({ changed: 0, failed: 0, unreachable: 0 })
        expect(job.tasksTotal).toBeGreaterThan(0)
        expect(job.tasksDone).toBe(job.tasksTotal!)
        expect(job.lockKey).toBeNull()
      }
      // One server, one lock: the second started only after the first ended.
      expect(b.startedAt!.getTime()).toBeGreaterThanOrEqual(a.finishedAt!.getTime())
      const facts = (await localServer(panel.deps)).facts
      expect(facts.distribution).toBeTruthy()
      expect(Array.isArray(facts.phpVersions)).toBe(true)
      expect(Array.isArray(facts.databases)).toBe(true)
      expect(facts.gatheredAt).toBeTruthy()
      const log = readFileSync(jobLogPath(panel.deps.dataDir, a.id), 'utf8')
      expect(log).toContain('PLAY RECAP')
      expect(log).toContain('[unipanel] succeeded')
      expect(a.logText).toBe(log)
    },
    T,
  )

  test(
    'runs jobs on different servers side by side, never two on one server',
    async () => {
      const [one, two] = await extraLocalServers(panel.deps, 2, 'parallel')
      const slow = (serverId: number) =>
        enqueueJob(panel.deps, {
          kind: 'test.slow',
          serverId,
          playbook: join(fixtures, 'slow.yml'),
          input: { seconds: 1, lines: 1 },
          requestedBy: null,
        })
      const jobs = [await slow(one!.id), await slow(one!.id), await slow(two!.id)]
      const [a1, a2, b1] = await Promise.all(jobs.map((j) => waitForJob(panel.deps, j.id)))
      for (const job of [a1!, a2!, b1!]) expect(job.state).toBe('succeeded')
      const [first, next] = a1!.startedAt! < a2!.startedAt! ? [a1!, a2!] : [a2!, a1!]
      expect(next.startedAt!.getTime()).toBeGreaterThanOrEqual(first.finishedAt!.getTime())
      // The other server's job did not wait for the first server's lock.
      expect(b1!.startedAt!.getTime()).toBeLessThan(first.finishedAt!.getTime())
    },
    T,
  )

  test(
    'cancel sends SIGTERM to the whole process group and records the job cancelled',
    async () => {
      const server = await localServer(panel.deps)
      const job = await enqueueJob(panel.deps, {
        kind: 'test.slow',
        serverId: server.id,
        playbook: join(fixtures, 'slow.yml'),
        input: { seconds: 120 },
        requestedBy: null,
      })
      const running = await waitFor('the sleep task', async () => {
        const row = await findJob(panel.deps.database, job.id)
        if (!row?.pid) return null
        const members = groupMembers(row.pid)
        const sleeping = members.some((pid) =>
          readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep\0'),
        )
        return sleeping ? row : null
      })
      const workspaces = readdirSync(tmpdir()).filter((d) => d.startsWith(`unipanel-job-${job.id}-`))
      expect(workspaces).toHaveLength(1)
      const admin = await panel.createUser('admin')
      await cancelJob(panel.deps, { user: admin, actor: { userId: admin.id, name: admin.username } }, job.id)
      const done = await waitForJob(panel.deps, job.id, { timeoutMs: 15_000 })
      expect(done.state).toBe('cancelled')
      expect(done.cancelRequested).toBe(true)
      expect(done.lockKey).toBeNull()
      expect(groupMembers(running.pid!)).toEqual([])
      expect(existsSync(join(tmpdir(), workspaces[0]!))).toBe(false)
      expect(readFileSync(jobLogPath(panel.deps.dataDir, job.id), 'utf8')).toContain('stopping: cancelled')
    },
    T,
  )

  test(
    'a queued job is cancelled before it starts',
    async () => {
      const server = await localServer(panel.deps)
      const blocker = await enqueueJob(panel.deps, {
        kind: 'test.slow',
        serverId: server.id,
        playbook: join(fixtures, 'slow.yml'),
        input: { seconds: 2, lines: 1 },
        requestedBy: null,
      })
      const queued = await enqueueJob(panel.deps, {
        kind: 'test.slow',
        serverId: server.id,
        playbook: join(fixtures, 'slow.yml'),
        input: { seconds: 1 },
        requestedBy: null,
      })
      const admin = await panel.createUser('admin')
      const cancelled = await cancelJob(
        panel.deps,
        { user: admin, actor: { userId: admin.id, name: 'a' } },
        queued.id,
      )
      expect(cancelled.state).toBe('cancelled')
      expect((await waitForJob(panel.deps, blocker.id)).state).toBe('succeeded')
      expect((await findJob(panel.deps.database, queued.id))!.startedAt).toBeNull()
    },
    T,
  )

  test(
    'a job that outlives its timeout is stopped and fails saying so',
    async () => {
      const [server] = await extraLocalServers(panel.deps, 1, 'timeout')
      const job = await enqueueJob(panel.deps, {
        kind: 'test.slow',
        serverId: server!.id,
        playbook: join(fixtures, 'slow.yml'),
        input: { seconds: 60, lines: 1 },
        requestedBy: null,
        timeoutSeconds: 2,
      })
      const done = await waitForJob(panel.deps, job.id, { timeoutMs: 15_000 })
      expect(done.state).toBe('failed')
      expect(done.summary).toBe('stopped after the time limit of 2 seconds')
      expect(groupMembers(done.pid!)).toEqual([])
    },
    T,
  )

  test(
    'a dry run previews with --check --diff and changes nothing; apply changes; again changes nothing',
    async () => {
      const [server] = await extraLocalServers(panel.deps, 1, 'dry')
      const path = join(scratch, 'dry-run.txt')
      const seen: string[][] = []
      const stop = observeSpawns((argv) => seen.push([...argv]))
      const preview = await enqueueJob(panel.deps, {
        kind: 'test.echo',
        serverId: server!.id,
        playbook: join(fixtures, 'echo.yml'),
        input: { message: 'hello from a preview', path },
        requestedBy: null,
        dryRun: true,
      })
      const previewed = await waitForJob(panel.deps, preview.id)
      stop()
      expect(previewed.state).toBe('succeeded')
      expect(previewed.recap!.changed).toBe(1)
      expect(existsSync(path)).toBe(false)
      const argv = seen.find((a) => a.includes(join(fixtures, 'echo.yml')))!
      expect(argv.slice(-4)).toEqual(['--check', '--diff', '--', join(fixtures, 'echo.yml')])
      expect(argv[0]).toBe(panel.deps.config.ansiblePlaybook)
      expect(argv[argv.indexOf('-e') + 1]).toMatch(/^@\/.*\/vars\.yml$/)
      const log = readFileSync(jobLogPath(panel.deps.dataDir, preview.id), 'utf8')
      expect(log).toContain('+hello from a preview')
      expect(log).toContain('dry run')

      const applied = await waitForJob(
        panel.deps,
        (await repeatJob(panel.deps, previewed, { dryRun: false })).id,
      )
      expect(applied.state).toBe('succeeded')
      expect(applied.retryOf).toBe(preview.id)
      expect(applied.recap!.changed).toBe(1)
      expect(readFileSync(path, 'utf8')).toBe('hello from a preview\n')
      const again = await waitForJob(panel.deps, (await repeatJob(panel.deps, applied)).id)
      expect(again.input).toEqual(applied.input)
      expect(again.recap!.changed).toBe(0)
    },
    T,
  )

  test(
    'batches: queued jobs of one kind for one server run as a single play',
    async () => {
      const [server] = await extraLocalServers(panel.deps, 1, 'batch')
      const dir = mkdtempSync(join(scratch, 'batch-'))
      const spawns: string[][] = []
      const stop = observeSpawns((argv) => spawns.push([...argv]))
      const jobs = await enqueueBatch(
        panel.deps,
        {
          kind: 'test.batch',
          serverId: server!.id,
          playbook: join(fixtures, 'batch.yml'),
          requestedBy: null,
        },
        Array.from({ length: 25 }, (_, i) => ({
          input: { dir, content: i === 3 ? "{{ lookup('env','HOME') }}" : `site ${i}` },
        })),
      )
      const done = await Promise.all(jobs.map((j) => waitForJob(panel.deps, j.id)))
      stop()
      expect(spawns.filter((a) => a.includes(join(fixtures, 'batch.yml')))).toHaveLength(1)
      const leader = jobs[0]!.id
      for (const job of done) {
        expect(job.state).toBe('succeeded')
        expect(job.batchId).toBe(leader)
        expect(readFileSync(join(dir, `${job.id}.txt`), 'utf8')).toBe(
          job.id === jobs[3]!.id ? "{{ lookup('env','HOME') }}\n" : `${job.input.content}\n`,
        )
      }
      // One looped task: the recap counts it once, the log shows every item.
      expect(done[0]!.recap!.changed).toBe(1)
      const log = readFileSync(jobLogPath(panel.deps.dataDir, leader), 'utf8')
      expect(log.match(/^changed: \[server_\d+\] => \(item=\d+\)$/gm)).toHaveLength(25)
      expect(done[5]!.logText).toBeNull()
    },
    T,
  )

  test(
    'at start, jobs left running by a dead process are interrupted and their server is free again',
    async () => {
      const [server] = await extraLocalServers(panel.deps, 1, 'orphan')
      const { db, t } = panel.deps.database
      const [orphan] = await db
        .insert(t.jobs)
        .values({
          kind: 'test.slow',
          serverId: server!.id,
          playbook: join(fixtures, 'slow.yml'),
          input: {},
          state: 'running',
          runner: `${hostname()}:999999:gone-1:abc`,
          lockKey: `server:${server!.id}`,
          startedAt: new Date(),
          heartbeatAt: new Date(),
        })
        .returning()
      const [elsewhere] = await db
        .insert(t.jobs)
        .values({
          kind: 'test.slow',
          playbook: join(fixtures, 'slow.yml'),
          input: {},
          state: 'running',
          runner: 'another-host:1:x:y',
          startedAt: new Date(Date.now() - 600_000),
          heartbeatAt: new Date(Date.now() - 600_000),
        })
        .returning()
      const waiting = await enqueueJob(panel.deps, {
        kind: 'test.echo',
        serverId: server!.id,
        playbook: join(fixtures, 'echo.yml'),
        input: { message: 'after the crash' },
        requestedBy: null,
      })
      // A second runner starting is what a restarted panel does.
      const restarted = await startJobRunner(panel.deps, { concurrency: 1, staleMs: 60_000 })
      try {
        const interrupted = await waitForJob(panel.deps, orphan!.id)
        expect(interrupted.state).toBe('interrupted')
        expect(interrupted.lockKey).toBeNull()
        expect(interrupted.summary).toContain('stopped')
        const stale = await waitForJob(panel.deps, elsewhere!.id)
        expect(stale.state).toBe('interrupted')
        expect((await waitForJob(panel.deps, waiting.id)).state).toBe('succeeded')
      } finally {
        await restarted.stop()
      }
    },
    T,
  )
})

describe('without ansible-playbook', () => {
  test('a job fails saying what to install, and the server is free again', async () => {
    const other = await testPanel({ UNIPANEL_ANSIBLE_PLAYBOOK: '/nonexistent/ansible-playbook' })
    const missing = await startJobRunner(other.deps, { pollMs: 200 })
    try {
      const server = await localServer(other.deps)
      const job = await gatherFacts(other.deps, server.id, { requestedBy: null })
      const done = await waitForJob(other.deps, job.id)
      expect(done.state).toBe('failed')
      expect(done.summary).toContain('/nonexistent/ansible-playbook could not be started')
      expect(done.summary).toContain('install ansible-core')
      expect(done.lockKey).toBeNull()
      expect(done.logText).toContain('[unipanel] failed:')
    } finally {
      await missing.stop()
      await other.dispose()
    }
  })
})
