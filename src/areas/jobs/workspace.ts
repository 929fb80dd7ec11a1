/**
 * A job's private workspace: a temp dir (0700) holding everything one
 * ansible-playbook run reads — the generated inventory, our own ansible.cfg (so no
 * user or system config is read), known_hosts built from the host key recorded on
 * the server, the panel's private key (0600, only for SSH), and the vars file in
 * which every string is `!unsafe`. The dir is removed when the run ends; its name
 * carries the job id so a panel restarting after a crash can find what was left.
 *
 * Connection values are checked again here, before anything is written or spawned:
 * a host such as `-oProxyCommand=…` would otherwise become an ssh option.
 *
 * @example
 *   const ws = await createWorkspace({ jobId: 7, server, privateKey, ansibleDir, forks: 10, vars })
 *   spawnProcess(ws.argv(playbookPath, dryRun), { env: ws.env, detached: true })
 *   ws.remove()
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Server } from '../servers/repository.ts'
import { unsafeVarsYaml } from './vars.ts'

export const WORKSPACE_PREFIX = 'unipanel-job-'

/** Why a job cannot start (a server recorded wrong, a missing playbook); the job fails with the message, nothing is spawned. */
export class CannotRun extends Error {}

const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/
const IPV6 = /^[0-9A-Fa-f:.]{2,45}$/
const SSH_USER = /^[a-z_][a-z0-9_.-]{0,31}$/
const HOST_KEY =
  /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-[a-z0-9@.-]+) [A-Za-z0-9+/]+={0,3}$/

/** The checks a server must pass before a job connects to it; throws CannotRun. */
export function checkConnection(server: Server): void {
  if (server.connection === 'local') return
  const where = `the server ${server.name}`
  if (
    server.host.startsWith('-') ||
    !(HOST_NAME.test(server.host) || (server.host.includes(':') && IPV6.test(server.host)))
  )
    throw new CannotRun(
      `${where} has the host ${JSON.stringify(server.host.slice(0, 80))}, which is not a host name or IP address; correct the server before running jobs on it`,
    )
  if (!Number.isInteger(server.port) || server.port < 1 || server.port > 65535)
    throw new CannotRun(`${where} has the port ${server.port}, which is not between 1 and 65535`)
  if (!SSH_USER.test(server.user))
    throw new CannotRun(
      `${where} has the SSH user ${JSON.stringify(server.user.slice(0, 40))}, which is not a valid user name`,
    )
  const keys = hostKeys(server)
  if (keys.length === 0)
    throw new CannotRun(
      `no SSH host key is recorded for ${where}; add the server again so its host key is recorded`,
    )
}

/** The recorded host key lines ("ssh-ed25519 AAAA…"), comments dropped. */
function hostKeys(server: Server): string[] {
  return (server.hostKey ?? '')
    .split('\n')
    .map((l) => l.trim().split(/\s+/).slice(0, 2).join(' '))
    .filter((l) => HOST_KEY.test(l))
}

function knownHosts(server: Server): string {
  const name = server.port === 22 ? server.host : `[${server.host}]:${server.port}`
  return hostKeys(server)
    .map((key) => `${name} ${key}\n`)
    .join('')
}

/** The inventory host name every playbook targets: `hosts: all` reaches exactly this one. */
export const inventoryHost = (server: Server) => `server_${server.id}`

function inventory(server: Server | null, keyFile: string | null): unknown {
  if (!server) return { all: { hosts: { localhost: { ansible_connection: 'local' } } } }
  const vars: Record<string, unknown> =
    server.connection === 'local'
      ? { ansible_connection: 'local', ansible_host: '127.0.0.1' }
      : {
          ansible_connection: 'ssh',
          ansible_host: server.host,
          ansible_port: server.port,
          ansible_user: server.user,
          ansible_ssh_private_key_file: keyFile,
        }
  return { all: { hosts: { [inventoryHost(server)]: vars } } }
}

function ansibleConfig(dir: string, ansibleDir: string, forks: number): string {
  const ssh = [
    '-F /dev/null',
    '-o ControlMaster=auto',
    '-o ControlPersist=30s',
    '-o StrictHostKeyChecking=yes',
    `-o UserKnownHostsFile=${join(dir, 'known_hosts')}`,
    '-o GlobalKnownHostsFile=/dev/null',
    '-o IdentitiesOnly=yes',
    '-o PasswordAuthentication=no',
    '-o KbdInteractiveAuthentication=no',
    '-o BatchMode=yes',
    '-o ConnectTimeout=15',
    '-o ServerAliveInterval=15',
  ].join(' ')
  return `# Generated for one job by the Unipanel runner; ANSIBLE_CONFIG points here so no other config is read.
[defaults]
roles_path = ${join(ansibleDir, 'roles')}
library = ${join(ansibleDir, 'library')}
callback_plugins = ${join(ansibleDir, 'callback_plugins')}
callbacks_enabled = unipanel
stdout_callback = default
forks = ${forks}
host_key_checking = True
retry_files_enabled = False
local_tmp = ${join(dir, 'tmp')}
interpreter_python = auto_silent
nocolor = True
deprecation_warnings = False
timeout = 15

[inventory]
enable_plugins = yaml

[ssh_connection]
ssh_args = ${ssh}
control_path_dir = ${join(dir, 'cp')}
pipelining = True
`
}

export type Workspace = {
  dir: string
  /** Where our callback writes what the playbook passed to set_stats. */
  resultFile: string
  env: Record<string, string>
  argv(ansiblePlaybook: string, playbookPath: string, dryRun: boolean): string[]
  remove(): void
}

export function createWorkspace(options: {
  jobId: number
  server: Server | null
  privateKey: string | null
  ansibleDir: string
  forks: number
  vars: Record<string, unknown>
}): Workspace {
  const { server } = options
  if (server) checkConnection(server)
  const dir = mkdtempSync(join(tmpdir(), `${WORKSPACE_PREFIX}${options.jobId}-`))
  try {
    chmodSync(dir, 0o700)
    mkdirSync(join(dir, 'tmp'), { mode: 0o700 })
    mkdirSync(join(dir, 'cp'), { mode: 0o700 })
    const write = (name: string, content: string) => {
      const path = join(dir, name)
      writeFileSync(path, content, { mode: 0o600 })
      return path
    }
    let keyFile: string | null = null
    if (server?.connection === 'ssh') {
      if (!options.privateKey) throw new CannotRun('the panel has no SSH key to reach the server with')
      keyFile = write(
        'id_panel',
        options.privateKey.endsWith('\n') ? options.privateKey : `${options.privateKey}\n`,
      )
    }
    write('known_hosts', server ? knownHosts(server) : '')
    const inventoryFile = write('inventory.yml', JSON.stringify(inventory(server, keyFile), null, 2))
    const configFile = write('ansible.cfg', ansibleConfig(dir, options.ansibleDir, options.forks))
    const varsFile = write('vars.yml', unsafeVarsYaml(options.vars))
    const resultFile = join(dir, 'result.json')
    return {
      dir,
      resultFile,
      env: {
        ANSIBLE_CONFIG: configFile,
        ANSIBLE_NOCOLOR: '1',
        ANSIBLE_FORCE_COLOR: '0',
        PYTHONUNBUFFERED: '1',
        PYTHONDONTWRITEBYTECODE: '1',
        UNIPANEL_RESULT_FILE: resultFile,
      },
      argv: (ansiblePlaybook, playbookPath, dryRun) => [
        ansiblePlaybook,
        '-i',
        inventoryFile,
        '-e',
        `@${varsFile}`,
        ...(dryRun ? ['--check', '--diff'] : []),
        '--',
        playbookPath,
      ],
      remove: () => rmSync(dir, { recursive: true, force: true }),
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
}

/** Removes what a crashed panel left of a job's workspace. */
export function removeLeftoverWorkspaces(jobId: number): void {
  const prefix = `${WORKSPACE_PREFIX}${jobId}-`
  for (const name of readdirSync(tmpdir())) {
    if (name.startsWith(prefix)) rmSync(join(tmpdir(), name), { recursive: true, force: true })
  }
}
