/**
 * SECURITY.md for jobs, against a real ansible-playbook:
 * - user text reaches a playbook as text: `{{ lookup('pipe', …) }}` is never run
 *   (Semaphore's extra-vars injection), shown against plain JSON extra vars, which do run it;
 * - a host such as `-oProxyCommand=…` is refused before anything is spawned (Cockpit);
 * - secrets never appear in argv, the environment or the job's log (Dokploy).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { enqueueBatch, enqueueJob } from '../../src/areas/jobs/enqueue.ts'
import { jobLogPath } from '../../src/areas/jobs/log.ts'
import { publicJob } from '../../src/areas/jobs/model.ts'
import { findJob } from '../../src/areas/jobs/repository.ts'
import { type JobRunner, startJobRunner } from '../../src/areas/jobs/runner.ts'
import { gatherFacts } from '../../src/areas/jobs/server-jobs.ts'
import { randomToken } from '../../src/lib/crypto.ts'
import { observeSpawns, run } from '../../src/lib/spawn.ts'
import { hasTool, type TestPanel, testPanel } from '../helpers.ts'
import { groupMembers, procText, waitFor } from '../jobs/process.ts'
import { addServer, extraLocalServers, fixtures, waitForJob } from '../jobs/support.ts'

const enabled = hasTool('ansible-playbook')
const T = 60_000
let panel: TestPanel
let runner: JobRunner
let scratch: string

beforeAll(async () => {
  if (!enabled) return
  panel = await testPanel()
  runner = await startJobRunner(panel.deps, { concurrency: 2, pollMs: 300 })
  scratch = mkdtempSync(join(tmpdir(), 'unipanel-jobs-security-'))
})
afterAll(async () => {
  if (!enabled) return
  await runner.stop()
  await panel.dispose()
  rmSync(scratch, { recursive: true, force: true })
})

describe.skipIf(!enabled)('jobs: user text is never templated by Ansible', () => {
  test(
    "{{ lookup('pipe', 'touch …') }} in an input reaches the playbook as text and runs nothing",
    async () => {
      const [server] = await extraLocalServers(panel.deps, 1, 'inject')
      const marker = join(tmpdir(), `unipanel-pwned-${randomToken(6)}`)
      const payload = `{{ lookup('pipe','touch ${marker}') }}`
      const out = join(scratch, 'message.txt')
      const job = await enqueueJob(panel.deps, {
        kind: 'test.echo',
        serverId: server!.id,
        playbook: join(fixtures, 'echo.yml'),
        input: { message: payload, path: out, extra: { nested: [payload], [payload]: 'key' } },
        requestedBy: null,
      })
      const done = await waitForJob(panel.deps, job.id)
      expect(done.state).toBe('succeeded')
      expect(existsSync(marker)).toBe(false)
      expect(readFileSync(out, 'utf8')).toBe(`${payload}\n`)
      expect(readFileSync(jobLogPath(panel.deps.dataDir, job.id), 'utf8')).toContain(payload)

      // The same in a batch, where each job's input is an item of the play.
      const dir = mkdtempSync(join(scratch, 'batch-'))
      const jobs = await enqueueBatch(
        panel.deps,
        {
          kind: 'test.batch',
          serverId: server!.id,
          playbook: join(fixtures, 'batch.yml'),
          requestedBy: null,
        },
        [
          { input: { dir, content: payload } },
          { input: { dir, content: `{% if true %}${payload}{% endif %}` } },
        ],
      )
      for (const j of jobs) expect((await waitForJob(panel.deps, j.id)).state).toBe('succeeded')
      expect(existsSync(marker)).toBe(false)
      expect(readFileSync(join(dir, `${jobs[0]!.id}.txt`), 'utf8')).toBe(`${payload}\n`)
    },
    T,
  )

  test(
    'the control: the same text as plain JSON extra vars IS run by Ansible (why !unsafe matters)',
    async () => {
      const marker = join(tmpdir(), `unipanel-pwned-${randomToken(6)}`)
      try {
        const result = await run(
          [
            'ansible-playbook',
            '-i',
            'localhost,',
            '-c',
            'local',
            '-e',
            JSON.stringify({ message: `{{ lookup('pipe','touch ${marker}') }}` }),
            join(fixtures, 'echo.yml'),
          ],
          { env: { ANSIBLE_LOCAL_TEMP: join(scratch, 'ansible-tmp'), ANSIBLE_NOCOLOR: '1' } },
        )
        expect(result.exitCode).toBe(0)
        expect(existsSync(marker)).toBe(true)
      } finally {
        rmSync(marker, { force: true })
      }
    },
    T,
  )
})

describe.skipIf(!enabled)('jobs: a hostile server is refused before anything runs', () => {
  const hostile: [string, Record<string, unknown>, RegExp][] = [
    ['-oProxyCommand=touch /tmp/unipanel-proxycommand', {}, /is not a host name or IP address/],
    ['example.com -oProxyCommand=x', {}, /is not a host name or IP address/],
    ['host.example', { user: '-oProxyCommand=x' }, /not a valid user name/],
    ['host.example', { port: 0 }, /port 0/],
    ['host.example', { hostKey: null }, /no SSH host key is recorded/],
    ['host.example', { hostKey: '-oProxyCommand=x AAAA' }, /no SSH host key is recorded/],
  ]

  test(
    'a host such as -oProxyCommand=… fails the job with a clear message and spawns nothing',
    async () => {
      const spawned: string[][] = []
      const stop = observeSpawns((argv) => spawned.push([...argv]))
      try {
        for (const [index, [host, extra, message]] of hostile.entries()) {
          const server = await addServer(panel.deps, {
            name: `hostile-${index}`,
            host,
            hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFake',
            ...extra,
          })
          const job = await gatherFacts(panel.deps, server.id, { requestedBy: null })
          const done = await waitForJob(panel.deps, job.id)
          expect(done.state).toBe('failed')
          expect(done.summary).toMatch(message)
          expect(done.pid).toBeNull()
          expect(done.lockKey).toBeNull()
        }
        expect(spawned.map((a) => a.join(' '))).toEqual([])
        expect(existsSync('/tmp/unipanel-proxycommand')).toBe(false)
      } finally {
        stop()
      }
    },
    T,
  )
})

describe.skipIf(!enabled)('jobs: secrets stay secret', () => {
  test(
    'secrets reach the playbook but never argv, the environment, the row or the log',
    async () => {
      const [server] = await extraLocalServers(panel.deps, 1, 'secret')
      const secret = `S3cret-${randomToken(12)}`
      const job = await enqueueJob(panel.deps, {
        kind: 'test.slow',
        serverId: server!.id,
        playbook: join(fixtures, 'slow.yml'),
        input: { seconds: 3, lines: 1 },
        secrets: { say: secret },
        requestedBy: null,
      })
      expect(JSON.stringify(job)).not.toContain(secret)
      const row = await waitFor('the play to run', async () => {
        const r = await findJob(panel.deps.database, job.id)
        return r?.pid && groupMembers(r.pid).length > 1 ? r : null
      })
      // Every process of the play, ansible-playbook and its workers: no secret on a command line or in an environment.
      const members = groupMembers(row.pid!)
      expect(members.length).toBeGreaterThan(1)
      for (const pid of members) {
        expect(procText(pid, 'cmdline')).not.toContain(secret)
        expect(procText(pid, 'environ')).not.toContain(secret)
      }
      const done = await waitForJob(panel.deps, job.id)
      expect(done.state).toBe('succeeded')
      const log = readFileSync(jobLogPath(panel.deps.dataDir, job.id), 'utf8')
      // The playbook printed it (it did get it); the log shows stars.
      expect(log).toContain('line 1 ********')
      expect(log).not.toContain(secret)
      expect(done.logText).not.toContain(secret)
      expect(JSON.stringify(publicJob(done))).not.toContain(secret)
      expect(JSON.stringify(done)).not.toContain(secret)
    },
    T,
  )
})
