import { describe, expect, test } from 'bun:test'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Server } from '../servers/repository.ts'
import { CannotRun, checkConnection, createWorkspace } from './workspace.ts'

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOx1examplekeyexamplekeyexamplekeyexampleke'

function server(values: Partial<Server>): Server {
  return {
    id: 7,
    name: 'web-1',
    host: 'web1.example.com',
    port: 2222,
    user: 'deploy',
    connection: 'ssh',
    hostKey: `${KEY} root@web1`,
    tags: [],
    notes: '',
    status: 'unknown',
    lastSeenAt: null,
    facts: {},
    createdAt: new Date(),
    updatedAt: new Date(),
    ...values,
  } as Server
}

describe('a job workspace', () => {
  test('holds a private inventory, config, known_hosts, key and vars, and goes away after', () => {
    const ws = createWorkspace({
      jobId: 42,
      server: server({}),
      privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nxyz\n-----END OPENSSH PRIVATE KEY-----',
      ansibleDir: '/opt/unipanel/ansible',
      forks: 7,
      vars: { domain: 'example.com' },
    })
    try {
      expect(ws.dir).toMatch(/\/unipanel-job-42-[^/]+$/)
      expect(statSync(ws.dir).mode & 0o777).toBe(0o700)
      for (const file of ['inventory.yml', 'ansible.cfg', 'known_hosts', 'id_panel', 'vars.yml'])
        expect(statSync(join(ws.dir, file)).mode & 0o777).toBe(0o600)
      expect(readFileSync(join(ws.dir, 'known_hosts'), 'utf8')).toBe(`[web1.example.com]:2222 ${KEY}\n`)
      const inventory = JSON.parse(readFileSync(join(ws.dir, 'inventory.yml'), 'utf8'))
      expect(inventory.all.hosts.server_7).toEqual({
        ansible_connection: 'ssh',
        ansible_host: 'web1.example.com',
        ansible_port: 2222,
        ansible_user: 'deploy',
        ansible_ssh_private_key_file: join(ws.dir, 'id_panel'),
      })
      const config = readFileSync(join(ws.dir, 'ansible.cfg'), 'utf8')
      expect(config).toContain('forks = 7')
      expect(config).toContain('-o StrictHostKeyChecking=yes')
      expect(config).toContain(`-o UserKnownHostsFile=${join(ws.dir, 'known_hosts')}`)
      expect(config).toContain('-F /dev/null')
      expect(config).toContain('enable_plugins = yaml')
      expect(ws.env.ANSIBLE_CONFIG).toBe(join(ws.dir, 'ansible.cfg'))
      expect(ws.argv('ansible-playbook', '/p/facts.yml', true)).toEqual([
        'ansible-playbook',
        '-i',
        join(ws.dir, 'inventory.yml'),
        '-e',
        `@${join(ws.dir, 'vars.yml')}`,
        '--check',
        '--diff',
        '--',
        '/p/facts.yml',
      ])
    } finally {
      ws.remove()
    }
    expect(existsSync(ws.dir)).toBe(false)
  })

  test('the local host gets a local connection and no key', () => {
    const ws = createWorkspace({
      jobId: 1,
      server: server({ connection: 'local', host: '127.0.0.1', hostKey: null }),
      privateKey: null,
      ansibleDir: '/a',
      forks: 1,
      vars: {},
    })
    try {
      expect(existsSync(join(ws.dir, 'id_panel'))).toBe(false)
      expect(
        JSON.parse(readFileSync(join(ws.dir, 'inventory.yml'), 'utf8')).all.hosts.server_7.ansible_connection,
      ).toBe('local')
    } finally {
      ws.remove()
    }
  })

  test('refuses hosts, users, ports and host keys that could become ssh options', () => {
    const refused: Partial<Server>[] = [
      { host: '-oProxyCommand=touch /tmp/x' },
      { host: 'a b' },
      { host: 'host;id' },
      { host: '' },
      { user: '-oProxyCommand=x' },
      { user: 'root x' },
      { port: 0 },
      { port: 70000 },
      { hostKey: null },
      { hostKey: 'not a key' },
    ]
    for (const values of refused) expect(() => checkConnection(server(values))).toThrow(CannotRun)
    for (const ok of [{ host: '192.0.2.1' }, { host: '2001:db8::1' }, { host: 'a-b.example.org', port: 22 }])
      expect(() => checkConnection(server(ok))).not.toThrow()
  })
})
