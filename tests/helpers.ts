/**
 * Test support: a real panel around a temporary data dir and a real database —
 * SQLite by default, PostgreSQL when UNIPANEL_TEST_DATABASE_URL names a server
 * (each call then gets a fresh database of its own, dropped afterwards).
 *
 * @example
 *   const panel = await testPanel()
 *   const admin = await panel.signIn('admin')
 *   const res = await admin.get('/servers')
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { createApp } from '../src/app.ts'
import { createUser, type Role, type User } from '../src/areas/users/repository.ts'
import { createApiToken } from '../src/auth/api-tokens.ts'
import { closeDeps, openDeps } from '../src/boot.ts'
import { loadConfig } from '../src/config.ts'
import type { Deps } from '../src/deps.ts'
import { randomToken } from '../src/lib/crypto.ts'
import { memoryLog } from '../src/lib/log.ts'
import { run } from '../src/lib/spawn.ts'

export const PUBLIC_URL = 'http://panel.test'
export const TEST_PASSWORD = 'correct horse battery'

/** The base PostgreSQL URL for this run, or null for SQLite. */
export const testPgUrl = process.env.UNIPANEL_TEST_DATABASE_URL || null
export const dialectName = testPgUrl ? 'pg' : 'sqlite'

/** A fresh, empty PostgreSQL database; returns its URL and a function that drops it. */
export async function freshPgDatabase(baseUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `unipanel_t_${randomToken(6)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, 'x')}`
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${name}`)
  await admin.end()
  const url = new URL(baseUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: async () => {
      const again = postgres(baseUrl, { max: 1, onnotice: () => {} })
      await again.unsafe(`drop database if exists ${name} with (force)`)
      await again.end()
    },
  }
}

export type TestDeps = Deps & { dataDir: string; log: ReturnType<typeof memoryLog>; dispose(): Promise<void> }

/** Deps around a temporary data dir and a fresh database, migrated. */
export async function testDeps(env: Record<string, string> = {}): Promise<TestDeps> {
  const dataDir = mkdtempSync(join(tmpdir(), 'unipanel-test-'))
  const pg = testPgUrl ? await freshPgDatabase(testPgUrl) : null
  const config = loadConfig({
    UNIPANEL_DATA_DIR: dataDir,
    UNIPANEL_PUBLIC_URL: PUBLIC_URL,
    UNIPANEL_SECRET: 'test-secret-test-secret-test-secret-0123',
    ...(pg ? { UNIPANEL_DATABASE_URL: pg.url } : {}),
    ...env,
  })
  const log = memoryLog()
  const deps = await openDeps(config, log)
  return Object.assign(deps, {
    log,
    dataDir,
    async dispose() {
      await closeDeps(deps)
      await pg?.drop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  })
}

type Body = Record<string, string> | FormData | undefined

/** A signed-in browser: keeps the cookie, sends Origin and the CSRF token like htmx does. */
export class Browser {
  cookie = ''
  csrf = ''
  constructor(
    readonly app: ReturnType<typeof createApp>,
    readonly user: User | null = null,
  ) {}

  async request(
    method: string,
    path: string,
    init: { body?: Body; headers?: Record<string, string>; json?: unknown } = {},
  ) {
    const headers: Record<string, string> = { ...init.headers }
    if (this.cookie) headers.cookie ??= this.cookie
    let body: BodyInit | undefined
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(init.json)
    } else if (init.body instanceof FormData) {
      body = init.body
    } else if (init.body) {
      headers['content-type'] = 'application/x-www-form-urlencoded'
      body = new URLSearchParams(init.body).toString()
    }
    if (method !== 'GET' && method !== 'HEAD') {
      headers.origin ??= PUBLIC_URL
      if (this.csrf) headers['x-csrf-token'] ??= this.csrf
    }
    const res = await this.app.request(`${PUBLIC_URL}${path}`, { method, headers, body, redirect: 'manual' })
    const setCookie = res.headers.getSetCookie()
    for (const c of setCookie) {
      const [pair] = c.split(';')
      const [name, value] = pair!.split('=')
      if (name?.includes('unipanel_session')) this.cookie = value ? `${name}=${value}` : ''
    }
    return res
  }

  get(path: string, headers?: Record<string, string>) {
    return this.request('GET', path, { headers })
  }

  post(path: string, body?: Body, headers?: Record<string, string>) {
    return this.request('POST', path, { body, headers })
  }

  /** Reads the csrf-token meta of a page into this browser. */
  async loadCsrf(path = '/') {
    const html = await (await this.get(path)).text()
    const match = /<meta name="csrf-token" content="([^"]+)"/.exec(html)
    if (!match) throw new Error(`no csrf-token meta on ${path}`)
    this.csrf = match[1]!
    return this.csrf
  }
}

export type TestPanel = {
  deps: TestDeps
  app: ReturnType<typeof createApp>
  /** Makes a user (admin by default) and returns a signed-in browser for it. */
  signIn(role?: Role, options?: { username?: string; parentId?: number | null }): Promise<Browser>
  createUser(role: Role, options?: { username?: string; parentId?: number | null }): Promise<User>
  /** A bearer token for a user; `api(path, init)` calls /api/v1 with it. */
  token(user: User, scope?: 'read' | 'write'): Promise<string>
  api(token: string, method: string, path: string, json?: unknown): Promise<Response>
  dispose(): Promise<void>
}

let counter = 0

export async function testPanel(env: Record<string, string> = {}): Promise<TestPanel> {
  const deps = await testDeps(env)
  const app = createApp(deps)
  const make = async (role: Role, options: { username?: string; parentId?: number | null } = {}) =>
    createUser(deps.database, {
      username: options.username ?? `${role}${++counter}`,
      role,
      password: TEST_PASSWORD,
      parentId: options.parentId ?? null,
    })
  return {
    deps,
    app,
    createUser: make,
    async signIn(role = 'admin', options = {}) {
      const user = await make(role, options)
      const browser = new Browser(app, user)
      const res = await browser.post('/login', { username: user.username, password: TEST_PASSWORD })
      if (res.status !== 303) throw new Error(`sign-in of ${user.username} answered ${res.status}`)
      await browser.loadCsrf('/')
      return browser
    },
    async token(user, scope = 'write') {
      return (await createApiToken(deps.database, { userId: user.id, name: 'test', scope })).token
    },
    api(token, method, path, json) {
      const headers: Record<string, string> = { authorization: `Bearer ${token}` }
      if (json !== undefined) headers['content-type'] = 'application/json'
      return Promise.resolve(
        app.request(`${PUBLIC_URL}/api/v1${path}`, {
          method,
          headers,
          body: json === undefined ? undefined : JSON.stringify(json),
        }),
      )
    },
    dispose: () => deps.dispose(),
  }
}

/**
 * For tests that need a host tool (nginx, ansible-playbook, chromium…): true when it is
 * present. Missing, it skips, unless UNIPANEL_REQUIRE_SYSTEM_TESTS=1, where it fails.
 */
export function hasTool(...names: string[]): boolean {
  const path = `${process.env.PATH ?? ''}:/usr/sbin:/sbin`
  const missing = names.filter(
    (n) => !(n.startsWith('/') ? Bun.file(n).size > 0 : Bun.which(n, { PATH: path })),
  )
  if (missing.length === 0) return true
  if (process.env.UNIPANEL_REQUIRE_SYSTEM_TESTS === '1') {
    throw new Error(`required tool(s) missing: ${missing.join(', ')} (UNIPANEL_REQUIRE_SYSTEM_TESTS=1)`)
  }
  return false
}

/** A throwaway self-signed certificate for `localhost` (openssl), for TLS tests on loopback. */
export async function localhostCertificate(): Promise<{ cert: string; key: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'unipanel-tls-'))
  try {
    const made = await run([
      'openssl',
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
    ])
    if (made.exitCode !== 0) throw new Error(`openssl failed: ${made.stderr.trim()}`)
    return {
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
