/**
 * The playbooks the panel ships, run by the real runner on this machine: bootstrap
 * (previewed with every component; applied for the database servers that already
 * run here, which must report changed=0 twice and keep running) and the agent
 * deployment into a scratch root (files, modes, token kept out of the log; a second
 * run changes nothing; systemd and init-script hosts).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { enqueueBatch } from '../../src/areas/jobs/enqueue.ts'
import { jobLogPath } from '../../src/areas/jobs/log.ts'
import { type JobRunner, startJobRunner } from '../../src/areas/jobs/runner.ts'
import { bootstrapServer, type Component, deployAgent } from '../../src/areas/jobs/server-jobs.ts'
import { run } from '../../src/lib/spawn.ts'
import { hasTool, PUBLIC_URL, type TestPanel, testPanel } from '../helpers.ts'
import { fixtures, localServer, waitForJob } from './support.ts'

const enabled = hasTool('ansible-playbook')
const T = 90_000
let panel: TestPanel
let runner: JobRunner
let scratch: string

beforeAll(async () => {
  if (!enabled) return
  panel = await testPanel()
  runner = await startJobRunner(panel.deps, { concurrency: 1, pollMs: 300 })
  scratch = mkdtempSync(join(tmpdir(), 'unipanel-playbooks-'))
})
afterAll(async () => {
  if (!enabled) return
  await runner.stop()
  await panel.dispose()
  rmSync(scratch, { recursive: true, force: true })
})

const runs = async (process: string) => (await run(['pgrep', '-x', process])).exitCode === 0
const logOf = (id: number) => readFileSync(jobLogPath(panel.deps.dataDir, id), 'utf8')

describe.skipIf(!enabled)('bootstrap', () => {
  test(
    'a preview with every component changes nothing on the host',
    async () => {
      const server = await localServer(panel.deps)
      const before = { nginx: await runs('nginx'), fpm: await runs('php-fpm8.2') }
      const job = await bootstrapServer(panel.deps, server.id, {
        components: ['nginx', 'php-fpm', 'mariadb', 'postgresql'],
        requestedBy: null,
        dryRun: true,
      })
      const done = await waitForJob(panel.deps, job.id, { timeoutMs: 60_000 })
      expect(done.summary).toMatch(/^ok=\d+ changed=\d+ failed=0 unreachable=0/)
      expect(done.state).toBe('succeeded')
      expect(logOf(job.id)).toContain('TASK [Start the services that do not run]')
      expect({ nginx: await runs('nginx'), fpm: await runs('php-fpm8.2') }).toEqual(before)
    },
    T,
  )

  test(
    'applied for the database servers already running here: changed=0, twice, and they keep running',
    async () => {
      const server = await localServer(panel.deps)
      const components: Component[] = []
      if (await runs('mariadbd|mysqld')) components.push('mariadb')
      if (await runs('postgres')) components.push('postgresql')
      if (components.length === 0) return
      for (let round = 0; round < 2; round++) {
        const job = await bootstrapServer(panel.deps, server.id, { components, requestedBy: null })
        const done = await waitForJob(panel.deps, job.id, { timeoutMs: 60_000 })
        expect(done.summary).toMatch(/^ok=\d+ changed=0 failed=0 unreachable=0/)
        expect(done.state).toBe('succeeded')
      }
      for (const component of components)
        expect(await runs(component === 'mariadb' ? 'mariadbd|mysqld' : 'postgres')).toBe(true)
    },
    T,
  )

  test(
    'refuses components it does not know, on the host too',
    async () => {
      const server = await localServer(panel.deps)
      const job = await bootstrapServer(panel.deps, server.id, {
        components: ['apache' as Component],
        requestedBy: null,
        dryRun: true,
      })
      const done = await waitForJob(panel.deps, job.id, { timeoutMs: 60_000 })
      expect(done.state).toBe('failed')
      expect(done.summary).toContain('bootstrap supports Debian and Ubuntu')
    },
    T,
  )
})

describe.skipIf(!enabled)('the agent', () => {
  test(
    'deploys the binary, its token (0600, never logged) and its service; again changes nothing',
    async () => {
      const server = await localServer(panel.deps)
      const root = mkdtempSync(join(scratch, 'agent-'))
      const binary = join(scratch, 'unipanel-binary')
      writeFileSync(binary, '#!/bin/sh\necho agent\n')
      const token = `agt_${'x'.repeat(20)}-secret`
      const paths = {
        agent_bin_path: join(root, 'unipanel'),
        agent_config_dir: join(root, 'etc'),
        agent_unit_dir: root,
        agent_init_dir: root,
        agent_user: 'root',
        agent_manage_service: false,
      }
      const deploy = (manager: 'service' | 'systemd', dryRun = false) =>
        deployAgent(panel.deps, server.id, {
          token,
          binary,
          overrides: { ...paths, agent_service_manager: manager },
          requestedBy: null,
          dryRun,
        })

      const preview = await waitForJob(panel.deps, (await deploy('service', true)).id, { timeoutMs: 60_000 })
      expect(preview.state).toBe('succeeded')
      expect(existsSync(paths.agent_bin_path)).toBe(false)
      expect(logOf(preview.id)).not.toContain(token)

      const first = await waitForJob(panel.deps, (await deploy('service')).id, { timeoutMs: 60_000 })
      expect(first.state).toBe('succeeded')
      expect(first.recap!.changed).toBeGreaterThan(0)
      expect(statSync(paths.agent_bin_path).mode & 0o777).toBe(0o755)
      const tokenFile = join(paths.agent_config_dir, 'agent.token')
      expect(readFileSync(tokenFile, 'utf8')).toBe(`${token}\n`)
      expect(statSync(tokenFile).mode & 0o777).toBe(0o600)
      const init = readFileSync(join(root, 'unipanel-agent'), 'utf8')
      expect(init).toContain(`agent --panel ${PUBLIC_URL} --token-file ${tokenFile}`)
      expect(init).not.toContain(token)
      expect(existsSync(join(root, 'unipanel-agent.service'))).toBe(false)
      for (const job of [first, preview]) {
        expect(logOf(job.id)).not.toContain(token)
        expect(JSON.stringify(job.input)).not.toContain(token)
      }

      const again = await waitForJob(panel.deps, (await deploy('service')).id, { timeoutMs: 60_000 })
      expect(again.recap!.changed).toBe(0)

      const systemd = await waitForJob(panel.deps, (await deploy('systemd')).id, { timeoutMs: 60_000 })
      expect(systemd.state).toBe('succeeded')
      const unit = readFileSync(join(root, 'unipanel-agent.service'), 'utf8')
      expect(unit).toContain(
        `ExecStart=${paths.agent_bin_path} agent --panel "${PUBLIC_URL}" --token-file ${tokenFile}`,
      )
      expect(unit).toContain('NoNewPrivileges=yes')
      expect(unit).toContain('Environment=BUN_JSC_useJIT=0')
      expect(unit).not.toContain(token)
      expect(logOf(systemd.id)).not.toContain(token)
    },
    T,
  )
})

describe.skipIf(!enabled)('unipanel_files, the module for batches', () => {
  test(
    'writes many files in one task, previews with a diff, then changes only what differs',
    async () => {
      const server = await localServer(panel.deps)
      const dir = mkdtempSync(join(scratch, 'files-'))
      const apply = async (files: Record<string, unknown>[], dryRun = false) => {
        const jobs = await enqueueBatch(
          panel.deps,
          {
            kind: 'test.files',
            serverId: server.id,
            playbook: join(fixtures, 'batch-files.yml'),
            requestedBy: null,
            dryRun,
          },
          files.map((input) => ({ input })),
        )
        const done = await Promise.all(jobs.map((j) => waitForJob(panel.deps, j.id, { timeoutMs: 60_000 })))
        for (const job of done) expect(job.state).toBe('succeeded')
        return { job: done[0]!, log: logOf(done[0]!.batchId ?? done[0]!.id) }
      }
      const files = Array.from({ length: 20 }, (_, i) => ({
        path: join(dir, 'sites', `site-${i}.conf`),
        content: `server_name site${i}.example; # {{ not templated }}\n`,
        mode: '0640',
      }))

      const preview = await apply(files, true)
      expect(preview.job.recap!.changed).toBe(1)
      expect(preview.log).toContain(`+server_name site7.example; # {{ not templated }}`)
      expect(existsSync(files[0]!.path)).toBe(false)

      const first = await apply(files)
      expect(first.job.recap!.changed).toBe(1)
      expect(readFileSync(files[3]!.path, 'utf8')).toBe(files[3]!.content)
      expect(statSync(files[3]!.path).mode & 0o777).toBe(0o640)

      expect((await apply(files)).job.recap!.changed).toBe(0)

      const edited = files.map((f, i) =>
        i === 5 ? { ...f, content: 'changed\n' } : i === 6 ? { ...f, state: 'absent' } : f,
      )
      const third = await apply(edited)
      expect(third.job.recap!.changed).toBe(1)
      expect(readFileSync(files[5]!.path, 'utf8')).toBe('changed\n')
      expect(existsSync(files[6]!.path)).toBe(false)
      expect(readFileSync(files[4]!.path, 'utf8')).toBe(files[4]!.content)
    },
    T,
  )
})
