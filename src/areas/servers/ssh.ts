/**
 * SSH from the panel to a managed server: recording its host key when it is added
 * (`ssh-keyscan -p PORT -- HOST`), showing fingerprints, and testing the connection with
 * the panel's key against exactly the recorded host key (BatchMode, StrictHostKeyChecking,
 * a known_hosts file of our own). Argv arrays only; the private key is written 0600 in a
 * private temporary directory that is removed afterwards.
 *
 * @example
 *   const hostKey = await scanHostKey('web1.example.com', 22)
 *   const result = await testConnection(deps, server)
 */
import { createHash } from 'node:crypto'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Deps } from '../../deps.ts'
import { AppError } from '../../lib/errors.ts'
import { run } from '../../lib/spawn.ts'
import { panelSshKey } from '../../lib/ssh-key.ts'
import type { Server } from './repository.ts'

const KEY_TYPES = new Set([
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ssh-rsa',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
])

/**
 * Host keys as "type base64" lines, from ssh-keyscan output or text an admin pasted
 * (known_hosts lines or .pub files); null when none is valid.
 */
export function parseHostKeys(text: string): string | null {
  const keys: string[] = []
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (!line || line.startsWith('#')) continue
    const fields = line.split(/\s+/)
    const at = fields.findIndex((f) => KEY_TYPES.has(f))
    if (at < 0) continue
    const blob = fields[at + 1]
    if (!blob || !/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) continue
    const entry = `${fields[at]} ${blob}`
    if (!keys.includes(entry)) keys.push(entry)
  }
  const order = (k: string) => (k.startsWith('ssh-ed25519') ? 0 : k.startsWith('ecdsa') ? 1 : 2)
  return keys.length ? keys.sort((a, b) => order(a) - order(b)).join('\n') : null
}

/** "ED25519 SHA256:…" for each recorded key, as ssh-keygen -l prints them. */
export function fingerprints(hostKey: string | null): string[] {
  if (!hostKey) return []
  return hostKey.split('\n').map((line) => {
    const [type, blob] = line.split(' ')
    const digest = createHash('sha256')
      .update(Buffer.from(blob ?? '', 'base64'))
      .digest('base64')
      .replace(/=+$/, '')
    const label = (type ?? '')
      .replace(/^ssh-|^sk-ssh-|@openssh\.com$/g, '')
      .replace(/^ecdsa-sha2-nistp\d+$/, 'ECDSA')
    return `${label.toUpperCase()} SHA256:${digest}`
  })
}

/** Asks the server for its host keys. The host has passed the grammar (never starts with '-'). */
export async function scanHostKey(host: string, port: number): Promise<string> {
  if (host.startsWith('-'))
    throw new AppError('invalid', 'the host must not start with -', { host: 'must not start with -' })
  const result = await run(['ssh-keyscan', '-T', '5', '-p', String(port), '--', host], { timeoutMs: 15_000 })
  if (result.exitCode === 127)
    throw new AppError(
      'unavailable',
      'ssh-keyscan is not installed on the panel host (apt-get install openssh-client)',
    )
  const keys = parseHostKeys(result.stdout)
  if (!keys) {
    throw new AppError(
      'invalid',
      `could not read the SSH host key of ${host} port ${port}; check that the server is up and reachable, or paste its host key`,
      { host: 'did not answer with an SSH host key' },
    )
  }
  return keys
}

/** known_hosts lines for the recorded keys, under the name ssh will look up. */
export function knownHostsLines(host: string, port: number, hostKey: string): string {
  const name = port === 22 ? host : `[${host}]:${port}`
  return hostKey
    .split('\n')
    .map((key) => `${name} ${key}\n`)
    .join('')
}

export type ConnectionResult = { ok: boolean; message: string }

/** Runs `true` on the server over SSH with the panel's key and the recorded host key. */
export async function testConnection(deps: Deps, server: Server): Promise<ConnectionResult> {
  if (server.connection === 'local')
    return { ok: true, message: 'this is the panel’s own host; no SSH is needed' }
  if (!server.hostKey)
    return { ok: false, message: 'no host key is recorded for this server; record it first' }
  const { privateKey } = await panelSshKey(deps)
  const dir = mkdtempSync(join(tmpdir(), 'unipanel-ssh-'))
  try {
    chmodSync(dir, 0o700)
    const keyFile = join(dir, 'id_ed25519')
    const knownHosts = join(dir, 'known_hosts')
    writeFileSync(keyFile, privateKey.endsWith('\n') ? privateKey : `${privateKey}\n`, { mode: 0o600 })
    writeFileSync(knownHosts, knownHostsLines(server.host, server.port, server.hostKey), { mode: 0o600 })
    const result = await run(
      [
        'ssh',
        '-F',
        '/dev/null',
        '-o',
        'BatchMode=yes',
        '-o',
        'StrictHostKeyChecking=yes',
        '-o',
        `UserKnownHostsFile=${knownHosts}`,
        '-o',
        'GlobalKnownHostsFile=/dev/null',
        '-o',
        'IdentitiesOnly=yes',
        '-o',
        'ConnectTimeout=10',
        '-i',
        keyFile,
        '-p',
        String(server.port),
        '-l',
        server.user,
        '--',
        server.host,
        'true',
      ],
      { timeoutMs: 30_000, env: { HOME: dir } },
    )
    if (result.exitCode === 0)
      return { ok: true, message: `connected as ${server.user} with the panel’s key` }
    if (result.exitCode === 127)
      return { ok: false, message: 'ssh is not installed on the panel host (apt-get install openssh-client)' }
    return { ok: false, message: explain(result.stderr) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function explain(stderr: string): string {
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/i.test(stderr))
    return 'the server’s host key does not match the one recorded when it was added; if it was reinstalled, record the new key'
  if (/Permission denied/i.test(stderr))
    return 'the server refused the panel’s key; add it to the user’s authorized_keys (see the command above)'
  if (/Connection refused/i.test(stderr)) return 'the connection was refused; is sshd running on that port?'
  if (/timed out/i.test(stderr))
    return 'the connection timed out; check the address, the port and any firewall'
  if (/Could not resolve hostname/i.test(stderr)) return 'the host name does not resolve'
  const last = stderr.trim().split('\n').filter(Boolean).at(-1)
  return last ? `ssh failed: ${last.slice(0, 200)}` : 'ssh failed'
}
