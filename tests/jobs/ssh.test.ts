/**
 * Jobs over real SSH: an sshd of the test's own (loopback port, throwaway host key,
 * the panel's public key authorized, keys only; /etc/ssh is not touched) added as an
 * ssh server with its host key recorded. The facts playbook runs over it; then the
 * server gets a new host key and the next job fails saying so.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import { type JobRunner, startJobRunner } from '../../src/areas/jobs/runner.ts'
import { gatherFacts } from '../../src/areas/jobs/server-jobs.ts'
import { run, spawnProcess } from '../../src/lib/spawn.ts'
import { panelSshKey } from '../../src/lib/ssh-key.ts'
import { hasTool, type TestPanel, testPanel } from '../helpers.ts'
import { freePort } from '../process.ts'
import { procText } from './process.ts'
import { addServer, waitForJob } from './support.ts'

const enabled = hasTool('/usr/sbin/sshd', 'ssh', 'ssh-keygen', 'ansible-playbook') && process.getuid?.() === 0
const T = 60_000
let panel: TestPanel
let runner: JobRunner
let dir: string
let port: number
let sshd: ReturnType<typeof spawnProcess> | null = null

async function hostKey(name: string): Promise<string> {
  const file = join(dir, name)
  const made = await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'test-host', '-f', file])
  if (made.exitCode !== 0) throw new Error(made.stderr)
  return readFileSync(`${file}.pub`, 'utf8').trim()
}

/** Starts sshd with the given host key and waits until it accepts connections. */
async function startSshd(keyName: string) {
  const config = join(dir, `sshd_config_${keyName}`)
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, keyName)}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'Subsystem sftp internal-sftp',
      '',
    ].join('\n'),
    { mode: 0o600 },
  )
  sshd = spawnProcess(['/usr/sbin/sshd', '-D', '-e', '-f', config])
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    try {
      const socket = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {} } })
      socket.end()
      return
    } catch {
      await Bun.sleep(50)
    }
  }
  throw new Error(`sshd did not listen on ${port}: ${await new Response(sshd.stderr).text()}`)
}

async function stopSshd() {
  if (!sshd) return
  sshd.kill('SIGTERM')
  await sshd.exited
  sshd = null
}

beforeAll(async () => {
  if (!enabled) return
  // sshd insists on its privilege separation dir; packages create it at boot, containers may lack it.
  if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 })
  panel = await testPanel()
  runner = await startJobRunner(panel.deps, { concurrency: 1, pollMs: 300 })
  dir = mkdtempSync(join(tmpdir(), 'unipanel-sshd-'))
  port = freePort()
  writeFileSync(join(dir, 'authorized_keys'), `${(await panelSshKey(panel.deps)).publicKey}\n`, {
    mode: 0o600,
  })
})
afterAll(async () => {
  if (!enabled) return
  await stopSshd()
  await runner.stop()
  await panel.dispose()
  rmSync(dir, { recursive: true, force: true })
})

describe.skipIf(!enabled)('jobs over SSH', () => {
  test(
    'the facts playbook runs over SSH with the recorded host key; a changed key fails the job clearly',
    async () => {
      const original = await hostKey('host_key_a')
      await startSshd('host_key_a')
      const server = await addServer(panel.deps, {
        name: 'ssh-test',
        host: '127.0.0.1',
        port,
        user: 'root',
        connection: 'ssh',
        hostKey: original,
      })

      const job = await gatherFacts(panel.deps, server.id, { requestedBy: null })
      const done = await waitForJob(panel.deps, job.id, { timeoutMs: 45_000 })
      expect(done.summary).toMatch(/^ok=\d+ changed=0 failed=0 unreachable=0/)
      expect(done.state).toBe('succeeded')
      const { db, t } = panel.deps.database
      const [row] = await db.select().from(t.servers).where(eq(t.servers.id, server.id))
      expect(row!.facts.distribution).toBeTruthy()
      expect(row!.facts.gatheredAt).toBeTruthy()
      // The key file lived in the job's workspace only, and nothing of the job is left running.
      expect(readdirSync(tmpdir()).filter((d) => d.startsWith(`unipanel-job-${job.id}-`))).toEqual([])
      const leftovers = readdirSync('/proc').filter(
        (p) => /^\d+$/.test(p) && procText(Number(p), 'cmdline').includes(`unipanel-job-${job.id}-`),
      )
      expect(leftovers).toEqual([])

      // The server is reinstalled (a new host key); the panel must refuse to talk to it.
      await stopSshd()
      await hostKey('host_key_b')
      await startSshd('host_key_b')
      const next = await gatherFacts(panel.deps, server.id, { requestedBy: null })
      const refused = await waitForJob(panel.deps, next.id, { timeoutMs: 45_000 })
      expect(refused.state).toBe('failed')
      expect(refused.summary).toContain(
        `the SSH host key of ssh-test (127.0.0.1:${port}) is not the one recorded`,
      )
      expect(refused.logText).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED')
      const [after] = await db.select().from(t.servers).where(eq(t.servers.id, server.id))
      expect(after!.facts.gatheredAt).toBe(row!.facts.gatheredAt)
    },
    T,
  )
})
