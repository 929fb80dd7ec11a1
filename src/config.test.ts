import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, loadConfig } from './config.ts'

const tmp = mkdtempSync(join(tmpdir(), 'unipanel-config-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

let n = 0
const fresh = () => join(tmp, `data${++n}`)
const SECRET = 'a-secret-of-at-least-thirty-two-characters'

/** The message of the ConfigError that `fn` throws. */
function configError(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    const message = (err as Error).message
    expect(message).not.toContain('\n')
    return message
  }
  throw new Error('expected a ConfigError')
}

describe('defaults', () => {
  test('SQLite in the data dir, 127.0.0.1:8080, development', () => {
    const dataDir = fresh()
    const config = loadConfig({ UNIPANEL_DATA_DIR: dataDir })
    expect(config.env).toBe('development')
    expect(config.database).toEqual({ dialect: 'sqlite', path: join(dataDir, 'unipanel.db') })
    expect(config.host).toBe('127.0.0.1')
    expect(config.port).toBe(8080)
    expect(config.publicUrl).toBe('http://127.0.0.1:8080')
    expect(config.ansiblePlaybook).toBe('ansible-playbook')
    expect(config.acmeDirectory).toBe('https://acme-v02.api.letsencrypt.org/directory')
    expect(config.pdns).toEqual({ url: null, apiKey: null, serverId: 'localhost' })
    expect(config.outboundAllow).toEqual([])
    expect(config.trustedProxies).toEqual([])
    expect(config.jobConcurrency).toBe(4)
  })

  test('the data dir is created 0700', () => {
    const dataDir = fresh()
    loadConfig({ UNIPANEL_DATA_DIR: dataDir })
    expect(statSync(dataDir).isDirectory()).toBe(true)
    expect(statSync(dataDir).mode & 0o777).toBe(0o700)
  })
})

describe('the secret', () => {
  test('is generated once into the data dir (0600) in development and reused', () => {
    const dataDir = fresh()
    const first = loadConfig({ UNIPANEL_DATA_DIR: dataDir }).secret
    const file = join(dataDir, 'secret')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readFileSync(file, 'utf8').trim()).toBe(first)
    expect(first.length).toBeGreaterThanOrEqual(32)
    expect(loadConfig({ UNIPANEL_DATA_DIR: dataDir }).secret).toBe(first)
    expect(loadConfig({ UNIPANEL_DATA_DIR: fresh() }).secret).not.toBe(first)
  })

  test('UNIPANEL_SECRET wins and nothing is written', () => {
    const dataDir = fresh()
    expect(loadConfig({ UNIPANEL_DATA_DIR: dataDir, UNIPANEL_SECRET: SECRET }).secret).toBe(SECRET)
    expect(() => statSync(join(dataDir, 'secret'))).toThrow()
  })

  test('is required in production', () => {
    const dataDir = fresh()
    const message = configError(() => loadConfig({ UNIPANEL_DATA_DIR: dataDir, UNIPANEL_ENV: 'production' }))
    expect(message).toStartWith('UNIPANEL_SECRET:')
    expect(message).toContain('production')
    expect(() => statSync(join(dataDir, 'secret'))).toThrow()
    const config = loadConfig({
      UNIPANEL_DATA_DIR: dataDir,
      UNIPANEL_ENV: 'production',
      UNIPANEL_SECRET: SECRET,
    })
    expect(config.env).toBe('production')
  })

  test('a short one is refused', () => {
    expect(
      configError(() => loadConfig({ UNIPANEL_DATA_DIR: fresh(), UNIPANEL_SECRET: 'short' })),
    ).toStartWith('UNIPANEL_SECRET:')
  })
})

describe('flags and environment', () => {
  test('flags win over the environment', () => {
    const config = loadConfig(
      { UNIPANEL_DATA_DIR: fresh(), HOST: '127.0.0.2', PORT: '9000' },
      { host: '127.0.0.3', port: '9001', debug: true },
    )
    expect(config.host).toBe('127.0.0.3')
    expect(config.port).toBe(9001)
    expect(config.publicUrl).toBe('http://127.0.0.3:9001')
    expect(config.debug).toBe(true)
  })

  test('HOST and PORT apply without flags; an IPv6 host is bracketed in the public URL', () => {
    const config = loadConfig({ UNIPANEL_DATA_DIR: fresh(), HOST: '::1', PORT: '9002' })
    expect(config.port).toBe(9002)
    expect(config.publicUrl).toBe('http://[::1]:9002')
  })

  test('every variable is read', () => {
    const dataDir = fresh()
    const bundle = join(tmp, 'ca.pem')
    writeFileSync(bundle, '')
    const config = loadConfig({
      UNIPANEL_DATA_DIR: dataDir,
      UNIPANEL_DATABASE_URL: 'postgres://panel@db.internal:5432/unipanel',
      UNIPANEL_SECRET: SECRET,
      UNIPANEL_PUBLIC_URL: 'https://panel.example.com/ignored/path',
      UNIPANEL_ANSIBLE_PLAYBOOK: '/opt/ansible/bin/ansible-playbook',
      UNIPANEL_OUTBOUND_ALLOW: '10.0.0.0/8, ::1/128',
      UNIPANEL_ACME_DIRECTORY: 'https://127.0.0.1:14000/dir',
      UNIPANEL_ACME_CA_BUNDLE: bundle,
      UNIPANEL_PDNS_URL: 'http://127.0.0.1:8081',
      UNIPANEL_PDNS_API_KEY: 'key',
      UNIPANEL_PDNS_SERVER_ID: 'ns1',
      UNIPANEL_TRUSTED_PROXIES: '127.0.0.1',
      UNIPANEL_JOB_CONCURRENCY: '8',
      UNIPANEL_ANSIBLE_FORKS: '25',
    })
    expect(config.database).toEqual({ dialect: 'pg', url: 'postgres://panel@db.internal:5432/unipanel' })
    expect(config.publicUrl).toBe('https://panel.example.com')
    expect(config.ansiblePlaybook).toBe('/opt/ansible/bin/ansible-playbook')
    expect(config.outboundAllow).toEqual(['10.0.0.0/8', '::1/128'])
    expect(config.acmeDirectory).toBe('https://127.0.0.1:14000/dir')
    expect(config.acmeCaBundle).toBe(bundle)
    expect(config.pdns).toEqual({ url: 'http://127.0.0.1:8081', apiKey: 'key', serverId: 'ns1' })
    expect(config.trustedProxies).toEqual(['127.0.0.1'])
    expect(config.jobConcurrency).toBe(8)
    expect(config.ansibleForks).toBe(25)
  })

  test('sqlite: URLs name a file', () => {
    const config = loadConfig({ UNIPANEL_DATA_DIR: fresh(), UNIPANEL_DATABASE_URL: `sqlite:${tmp}/x.db` })
    expect(config.database).toEqual({ dialect: 'sqlite', path: `${tmp}/x.db` })
  })
})

describe('each bad value names its variable', () => {
  const cases: [string, Record<string, string>, { host?: string; port?: string }?][] = [
    ['UNIPANEL_ENV', { UNIPANEL_ENV: 'staging' }],
    ['PORT', { PORT: '0' }],
    ['PORT', { PORT: '65536' }],
    ['PORT', { PORT: 'eighty' }],
    ['--port', {}, { port: '99999' }],
    ['HOST', { HOST: 'bad host;' }],
    ['--host', {}, { host: '-oProxyCommand=x' }],
    ['UNIPANEL_PUBLIC_URL', { UNIPANEL_PUBLIC_URL: 'ftp://panel.example.com' }],
    ['UNIPANEL_PUBLIC_URL', { UNIPANEL_PUBLIC_URL: 'https://user:pw@panel.example.com' }],
    ['UNIPANEL_DATABASE_URL', { UNIPANEL_DATABASE_URL: 'mysql://root@localhost/x' }],
    ['UNIPANEL_DATABASE_URL', { UNIPANEL_DATABASE_URL: 'sqlite:' }],
    ['UNIPANEL_ACME_DIRECTORY', { UNIPANEL_ACME_DIRECTORY: 'not a url' }],
    ['UNIPANEL_ACME_CA_BUNDLE', { UNIPANEL_ACME_CA_BUNDLE: '/nonexistent/ca.pem' }],
    ['UNIPANEL_PDNS_URL', { UNIPANEL_PDNS_URL: 'file:///etc/passwd' }],
    ['UNIPANEL_OUTBOUND_ALLOW', { UNIPANEL_OUTBOUND_ALLOW: '10.0.0.0/8,evil.example.com' }],
    ['UNIPANEL_TRUSTED_PROXIES', { UNIPANEL_TRUSTED_PROXIES: 'everyone' }],
    ['UNIPANEL_JOB_CONCURRENCY', { UNIPANEL_JOB_CONCURRENCY: '0' }],
    ['UNIPANEL_JOB_CONCURRENCY', { UNIPANEL_JOB_CONCURRENCY: '100' }],
    ['UNIPANEL_ANSIBLE_FORKS', { UNIPANEL_ANSIBLE_FORKS: '0' }],
    ['UNIPANEL_ANSIBLE_FORKS', { UNIPANEL_ANSIBLE_FORKS: 'many' }],
  ]
  for (const [name, env, flags] of cases) {
    test(`${name} = ${JSON.stringify(Object.values(env)[0] ?? flags)}`, () => {
      const message = configError(() => loadConfig({ UNIPANEL_DATA_DIR: fresh(), ...env }, flags))
      expect(message).toStartWith(`${name}:`)
    })
  }

  test('UNIPANEL_DATA_DIR that is a file, or below one', () => {
    const file = join(tmp, 'plain-file')
    writeFileSync(file, '')
    expect(configError(() => loadConfig({ UNIPANEL_DATA_DIR: file }))).toStartWith('UNIPANEL_DATA_DIR:')
    expect(configError(() => loadConfig({ UNIPANEL_DATA_DIR: join(file, 'data') }))).toStartWith(
      'UNIPANEL_DATA_DIR:',
    )
  })
})
