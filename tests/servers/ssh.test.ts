/**
 * SSH against a real sshd on a loopback port: the host key is read with ssh-keyscan
 * when a server is added (argv, `--` before the host), "test connection" logs in with
 * the panel's key in BatchMode against exactly that key, and a changed host key fails.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import { observeSpawns, run, spawnProcess } from '../../src/lib/spawn.ts'
import { panelSshKey } from '../../src/lib/ssh-key.ts'
import { hasTool, type TestPanel, testPanel } from '../helpers.ts'

const available = hasTool('/usr/sbin/sshd', 'ssh', 'ssh-keyscan', 'ssh-keygen') && process.getuid?.() === 0
let panel: TestPanel
let token: string
let dir: string
let port: number
let sshd: ReturnType<typeof spawnProcess> | null = null

async function startSshd(hostKey: string) {
  const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  port = probe.port
  probe.stop(true)
  const config = join(dir, 'sshd_config')
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  )
  sshd = spawnProcess(['/usr/sbin/sshd', '-D', '-e', '-f', config])
  for (let i = 0; i < 100; i++) {
    const scan = await run(['ssh-keyscan', '-T', '1', '-p', String(port), '--', '127.0.0.1'])
    if (scan.stdout.includes('ssh-ed25519')) return
    await Bun.sleep(50)
  }
  throw new Error('sshd did not start')
}

async function stopSshd() {
  sshd?.kill('SIGTERM')
  await sshd?.exited
  sshd = null
}

beforeAll(async () => {
  if (!available) return
  panel = await testPanel()
  token = await panel.token(await panel.createUser('admin'))
  dir = mkdtempSync(join(tmpdir(), 'unipanel-sshd-'))
  for (const name of ['host_a', 'host_b']) {
    const made = await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', join(dir, name)])
    expect(made.exitCode).toBe(0)
  }
  writeFileSync(join(dir, 'authorized_keys'), `${(await panelSshKey(panel.deps)).publicKey}\n`, {
    mode: 0o600,
  })
  await startSshd(join(dir, 'host_a'))
})
afterAll(async () => {
  if (!available) return
  await stopSshd()
  await panel.dispose()
  rmSync(dir, { recursive: true, force: true })
})

describe.skipIf(!available)('SSH to a managed server', () => {
  let serverId: number

  test('adding a server records the host key ssh-keyscan reads, with "--" before the host', async () => {
    const argvs: string[][] = []
    const stop = observeSpawns((argv) => argvs.push([...argv]))
    const res = await panel.api(token, 'POST', '/servers', {
      name: 'sshbox',
      host: '127.0.0.1',
      port,
      connection: 'ssh',
    })
    stop()
    expect(res.status).toBe(201)
    const body = (await res.json()) as { id: number; host_key: string; host_key_fingerprints: string[] }
    serverId = body.id
    const expectedKey = readFileSync(join(dir, 'host_a.pub'), 'utf8').split(' ').slice(0, 2).join(' ')
    expect(body.host_key.split('\n')).toContain(expectedKey)
    const scan = argvs.find((a) => a[0] === 'ssh-keyscan')!
    expect(scan.slice(-2)).toEqual(['--', '127.0.0.1'])
    // The fingerprint is the one ssh-keygen prints.
    const printed = await run(['ssh-keygen', '-l', '-f', join(dir, 'host_a.pub')])
    const fingerprint = printed.stdout.split(' ')[1]!
    expect(body.host_key_fingerprints.some((f) => f.endsWith(fingerprint))).toBe(true)
  })

  test('test connection logs in with the panel’s key, in BatchMode, against the recorded key; the key file is gone after', async () => {
    const argvs: string[][] = []
    const stop = observeSpawns((argv) => argvs.push([...argv]))
    const res = await panel.api(token, 'POST', `/servers/${serverId}/test-connection`)
    stop()
    expect(await res.json()).toEqual({ ok: true, message: 'connected as root with the panel’s key' })
    const ssh = argvs.find((a) => a[0] === 'ssh')!
    expect(ssh).toContain('BatchMode=yes')
    expect(ssh).toContain('StrictHostKeyChecking=yes')
    expect(ssh.slice(-3)).toEqual(['--', '127.0.0.1', 'true'])
    const keyFile = ssh[ssh.indexOf('-i') + 1]!
    expect(existsSync(keyFile)).toBe(false)
    expect(ssh.join(' ')).not.toContain('PRIVATE KEY')
  })

  test('a server that answers with another host key fails the test with a clear message', async () => {
    await stopSshd()
    await startSshd(join(dir, 'host_b'))
    await panel.api(token, 'PATCH', `/servers/${serverId}`, { port })
    // Changing the port records the key again; put the old one back to play a swapped host.
    const { db, t } = panel.deps.database
    const old = readFileSync(join(dir, 'host_a.pub'), 'utf8').split(' ').slice(0, 2).join(' ')
    await db.update(t.servers).set({ hostKey: old }).where(eq(t.servers.id, serverId))
    const res = await panel.api(token, 'POST', `/servers/${serverId}/test-connection`)
    const body = (await res.json()) as { ok: boolean; message: string }
    expect(body.ok).toBe(false)
    expect(body.message).toContain('does not match the one recorded')
  })

  test('an unreachable host cannot be added without a pasted key', async () => {
    await stopSshd()
    const res = await panel.api(token, 'POST', '/servers', {
      name: 'nobody',
      host: '127.0.0.1',
      port,
      connection: 'ssh',
    })
    expect(res.status).toBe(422)
    const body = (await res.json()) as { error: { fields: { host: string } } }
    expect(body.error.fields.host).toContain('SSH host key')
  })
})
