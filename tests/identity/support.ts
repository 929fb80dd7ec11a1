/**
 * Test support for sign-in, 2FA and tenancy tests: a browser-like client that can
 * come from a given IP (through the Bun server's requestIP the app reads), TOTP codes
 * computed like an authenticator app would, and enrolment through the real pages.
 *
 * @example
 *   const client = new Client(panel.app, '198.51.100.7')
 *   await client.login('alice', TEST_PASSWORD)
 *   const { secret, codes } = await enrol(client)
 */
import { eq, is, Table } from 'drizzle-orm'
import { generate } from 'otplib'
import type { createApp } from '../../src/app.ts'
import type { Database } from '../../src/db/client.ts'
import { PUBLIC_URL } from '../helpers.ts'

type App = ReturnType<typeof createApp>

export const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0'

export class Client {
  cookie = ''
  csrf = ''
  constructor(
    readonly app: App,
    readonly ip = '203.0.113.10',
    readonly userAgent = FIREFOX,
  ) {}

  /** The cookie value alone (the session token). */
  get token(): string {
    return this.cookie.split('=')[1] ?? ''
  }

  async request(
    method: string,
    path: string,
    init: {
      form?: Record<string, string>
      json?: unknown
      headers?: Record<string, string>
      body?: string
    } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { 'user-agent': this.userAgent, ...init.headers }
    if (this.cookie) headers.cookie ??= this.cookie
    let body: string | undefined = init.body
    if (init.json !== undefined) {
      headers['content-type'] ??= 'application/json'
      body = JSON.stringify(init.json)
    } else if (init.form) {
      headers['content-type'] ??= 'application/x-www-form-urlencoded'
      body = new URLSearchParams(init.form).toString()
    }
    if (method !== 'GET' && method !== 'HEAD') {
      headers.origin ??= PUBLIC_URL
      if (this.csrf) headers['x-csrf-token'] ??= this.csrf
    }
    // An empty header given by a test means "leave it out".
    for (const [name, value] of Object.entries(headers)) if (value === '') delete headers[name]
    const ip = this.ip
    const res = await this.app.request(
      `${PUBLIC_URL}${path}`,
      { method, headers, body, redirect: 'manual' },
      { requestIP: () => ({ address: ip, family: ip.includes(':') ? 'IPv6' : 'IPv4', port: 40000 }) },
    )
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const [name, value] = pair!.split('=')
      if (!name?.includes('unipanel_session')) continue
      this.cookie = value && !/max-age=0/i.test(line) ? `${name}=${value}` : ''
    }
    return res
  }

  get(path: string, headers?: Record<string, string>) {
    return this.request('GET', path, { headers })
  }

  post(path: string, form: Record<string, string> = {}, headers?: Record<string, string>) {
    return this.request('POST', path, { form, headers })
  }

  /** Reads the page's csrf-token meta (or the hidden _csrf field of a bare page). */
  async loadCsrf(path = '/'): Promise<string> {
    const html = await (await this.get(path)).text()
    const match =
      /<meta name="csrf-token" content="([^"]+)"/.exec(html) ?? /name="_csrf" value="([^"]+)"/.exec(html)
    if (!match) throw new Error(`no CSRF token on ${path}`)
    this.csrf = match[1]!
    return this.csrf
  }

  /** The password step; the client keeps whatever session it gets. */
  async login(username: string, password: string): Promise<Response> {
    this.csrf = ''
    return this.post('/login', { username, password })
  }

  /** Password, then (when asked) the TOTP step with `code`; loads the CSRF token of the result. */
  async signIn(username: string, password: string, code?: () => Promise<string>): Promise<void> {
    const first = await this.login(username, password)
    if (first.status !== 303) throw new Error(`password step answered ${first.status}`)
    if (first.headers.get('location')?.startsWith('/login/totp')) {
      if (!code) throw new Error('a TOTP code is needed')
      await this.loadCsrf('/login/totp')
      const second = await this.post('/login/totp', { code: await code() })
      if (second.status !== 303) throw new Error(`TOTP step answered ${second.status}`)
    }
    await this.loadCsrf('/account')
  }
}

/** The TOTP code an app shows `steps` periods from now. */
export function totpCode(secret: string, steps = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(Date.now() / 1000) + steps * 30 })
}

/** Enrols the signed-in client through /account/security; returns the secret and recovery codes. */
export async function enrol(client: Client): Promise<{ secret: string; codes: string[] }> {
  const html = await (await client.get('/account/security')).text()
  const secret = /data-totp-secret[^>]*>([^<]+)</.exec(html)?.[1]?.replace(/\s+/g, '')
  const pending = /name="pending" value="([^"]+)"/.exec(html)?.[1]
  if (!secret || !pending) throw new Error('no enrolment form on /account/security')
  const res = await client.post('/account/totp', { pending, code: await totpCode(secret) })
  const page = await res.text()
  if (res.status !== 200) throw new Error(`enrolment answered ${res.status}: ${page.slice(0, 300)}`)
  const codes = [...page.matchAll(/<li class="[^"]*"[^>]*>([a-z2-7]{5}-[a-z2-7]{5})<\/li>/g)].map(
    (m) => m[1]!,
  )
  return { secret, codes }
}

/** Lets the next TOTP code of the current period work again, as if 30 s had passed. */
export async function forgetLastStep(database: Database, userId: number): Promise<void> {
  const { db, t } = database
  await db.update(t.users).set({ totpLastStep: null }).where(eq(t.users.id, userId))
}

/** Row counts and contents of every panel table except the ones requests touch by design. */
export async function snapshot(database: Database, skip: string[] = []): Promise<string> {
  const { db, t } = database
  const out: Record<string, unknown> = {}
  const ignored = new Set(['sessions', 'loginAttempts', ...skip])
  for (const [name, table] of Object.entries(t)) {
    if (ignored.has(name) || !is(table, Table)) continue
    // Reading with a token stamps its last use; that is not a change the request made.
    const rows = (await db.select().from(table)).map((row) =>
      JSON.stringify(row, (k, v) => (k === 'lastUsedAt' ? undefined : typeof v === 'bigint' ? String(v) : v)),
    )
    // PostgreSQL returns rows in no fixed order (an updated row moves), so sort them.
    out[name] = rows.sort()
  }
  return JSON.stringify(out)
}
