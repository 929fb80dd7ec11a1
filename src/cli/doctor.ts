/**
 * `unipanel doctor`: which host tools the panel drives are present, and the apt
 * line that installs the missing ones. Exit 0 when all are there, 1 otherwise.
 */
import { existsSync, readdirSync } from 'node:fs'

type Tool = { label: string; find: () => string | null; apt: string; purpose: string }

const which = (name: string) => () => Bun.which(name, { PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` })

function phpFpm(): string | null {
  const direct = which('php-fpm')()
  if (direct) return direct
  for (const dir of ['/usr/sbin', '/usr/local/sbin']) {
    if (!existsSync(dir)) continue
    const match = readdirSync(dir).find((f) => /^php-fpm\d+(\.\d+)?$/.test(f))
    if (match) return `${dir}/${match}`
  }
  return null
}

export const TOOLS: Tool[] = [
  {
    label: 'ansible-playbook',
    find: which('ansible-playbook'),
    apt: 'ansible-core',
    purpose: 'runs every host change',
  },
  { label: 'nginx', find: which('nginx'), apt: 'nginx', purpose: 'serves websites' },
  { label: 'php-fpm', find: phpFpm, apt: 'php-fpm', purpose: 'runs PHP sites' },
  { label: 'ssh', find: which('ssh'), apt: 'openssh-client', purpose: 'reaches remote servers' },
  {
    label: 'ssh-keygen',
    find: which('ssh-keygen'),
    apt: 'openssh-client',
    purpose: 'makes the panel’s SSH key',
  },
  {
    label: 'mariadb',
    find: () => which('mariadb')() ?? which('mysql')(),
    apt: 'mariadb-client',
    purpose: 'manages MariaDB databases',
  },
  { label: 'psql', find: which('psql'), apt: 'postgresql-client', purpose: 'manages PostgreSQL databases' },
  {
    label: 'pdns_server',
    find: which('pdns_server'),
    apt: 'pdns-server pdns-backend-sqlite3',
    purpose: 'serves DNS zones',
  },
  {
    label: 'named-checkzone',
    find: which('named-checkzone'),
    apt: 'bind9-utils',
    purpose: 'validates zone files',
  },
]

export function doctor(write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): number {
  const missing: Tool[] = []
  for (const tool of TOOLS) {
    const path = tool.find()
    if (!path) missing.push(tool)
    write(`${path ? 'ok     ' : 'missing'}  ${tool.label.padEnd(17)} ${path ?? `(${tool.purpose})`}`)
  }
  if (missing.length === 0) {
    write('\nEverything the panel drives is installed.')
    return 0
  }
  const packages = [...new Set(missing.flatMap((t) => t.apt.split(' ')))]
  write(
    `\n${missing.length} missing. Install with:\n  apt-get update && apt-get install -y ${packages.join(' ')}`,
  )
  return 1
}
