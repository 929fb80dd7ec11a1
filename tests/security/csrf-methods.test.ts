/**
 * CSRF and method checks: a foreign Origin, a missing token and a text/plain JSON body
 * are refused with nothing written; the JSON API takes bearer tokens only, never the
 * cookie; OPTIONS and HEAD on every state-changing route (from the app's route table)
 * do nothing.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { findUserById, type User } from '../../src/areas/users/repository.ts'
import { createApiToken } from '../../src/auth/api-tokens.ts'
import { observeSpawns } from '../../src/lib/spawn.ts'
import { panelSshKey } from '../../src/lib/ssh-key.ts'
import { PUBLIC_URL, TEST_PASSWORD, type TestPanel, testPanel } from '../helpers.ts'
import { Client, snapshot } from '../identity/support.ts'

let panel: TestPanel
let admin: User
let client: Client
let token: string

beforeAll(async () => {
  panel = await testPanel()
  admin = await panel.createUser('admin')
  client = new Client(panel.app, '192.0.2.60')
  await client.signIn(admin.username, TEST_PASSWORD)
  token = (await createApiToken(panel.deps.database, { userId: admin.id, name: 'csrf', scope: 'write' }))
    .token
  // The panel's SSH key is made on first use (a server's page shows it); make it now, so
  // that one-time start-up is not mistaken for work done by a HEAD request.
  await panelSshKey(panel.deps)
})
afterAll(() => panel.dispose())

describe('CSRF', () => {
  test('a state change with a foreign Origin is refused and writes nothing', async () => {
    const before = await snapshot(panel.deps.database)
    const res = await client.post(
      '/account/profile',
      { email: 'evil@example.com', _csrf: client.csrf },
      { origin: 'https://evil.example' },
    )
    expect(res.status).toBe(403)
    expect(await res.text()).toContain('CSRF')
    const referer = await client.request('POST', '/users', {
      form: { username: 'viareferer', role: 'admin' },
      headers: { origin: '', referer: 'https://evil.example/form' },
    })
    expect(referer.status).toBe(403)
    expect(await snapshot(panel.deps.database)).toBe(before)
  })

  test('a state change without the session’s token is refused', async () => {
    const before = await snapshot(panel.deps.database)
    const bare = await client.request('POST', '/account/profile', {
      form: { email: 'x@example.com' },
      headers: { 'x-csrf-token': '' },
    })
    expect(bare.status).toBe(403)
    const wrong = await client.request('POST', '/account/profile', {
      form: { email: 'x@example.com', _csrf: 'A'.repeat(32) },
      headers: { 'x-csrf-token': 'B'.repeat(32) },
    })
    expect(wrong.status).toBe(403)
    const htmx = await client.request('POST', '/account/profile', {
      form: { email: 'x@example.com' },
      headers: { 'x-csrf-token': '', 'hx-request': 'true' },
    })
    expect(htmx.status).toBe(403)
    expect(await snapshot(panel.deps.database)).toBe(before)
    const good = await client.post('/account/profile', { email: 'ok@example.com' })
    expect(good.status).toBe(200)
    expect((await findUserById(panel.deps.database, admin.id))?.email).toBe('ok@example.com')
  })

  test('a text/plain JSON body (the form-encoded CSRF trick) is refused by the UI and the API', async () => {
    const before = await snapshot(panel.deps.database)
    const json = JSON.stringify({ username: 'plaintext', role: 'admin', password: TEST_PASSWORD })
    const ui = await client.request('POST', '/users', {
      body: json,
      headers: { 'content-type': 'text/plain', 'x-csrf-token': '' },
    })
    expect(ui.status).toBe(403)
    const api = await client.request('POST', '/api/v1/users', {
      body: json,
      headers: { 'content-type': 'text/plain' },
    })
    expect(api.status).toBe(401)
    const withToken = await panel.app.request(`${PUBLIC_URL}/api/v1/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
      body: json,
    })
    expect([400, 415, 422]).toContain(withToken.status)
    expect(await snapshot(panel.deps.database)).toBe(before)
  })

  test('the JSON API ignores the session cookie', async () => {
    const read = await client.get('/api/v1/account')
    expect(read.status).toBe(401)
    const write = await client.request('PATCH', '/api/v1/account', { json: { email: 'cookie@example.com' } })
    expect(write.status).toBe(401)
    expect((await findUserById(panel.deps.database, admin.id))?.email).not.toBe('cookie@example.com')
  })

  test('sign-in from another site is refused', async () => {
    const other = new Client(panel.app, '192.0.2.61')
    const res = await other.request('POST', '/login', {
      form: { username: admin.username, password: TEST_PASSWORD },
      headers: { origin: 'https://evil.example' },
    })
    expect(res.status).toBe(403)
    expect(other.cookie).toBe('')
  })
})

describe('OPTIONS and HEAD on state-changing routes', () => {
  test('do nothing: no write, no process, never a 2xx from the write handler', async () => {
    const routes = new Map<string, Set<string>>()
    for (const r of panel.app.routes) {
      if (r.method === 'ALL' || r.path.includes('*')) continue
      if (!routes.has(r.path)) routes.set(r.path, new Set())
      routes.get(r.path)!.add(r.method)
    }
    const writes = [...routes.entries()].filter(([, methods]) =>
      [...methods].some((m) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(m)),
    )
    expect(writes.length).toBeGreaterThan(10)
    const spawned: string[] = []
    const stop = observeSpawns((argv) => spawned.push(argv.join(' ')))
    const problems: string[] = []
    const before = await snapshot(panel.deps.database)
    try {
      for (const [template, methods] of writes) {
        const path = template
          .split('/')
          .map((s) =>
            s.startsWith(':') ? (/[0-9a-f]\{64\}/.test(s) ? 'a'.repeat(64) : String(admin.id)) : s,
          )
          .join('/')
        for (const method of ['OPTIONS', 'HEAD']) {
          const res = path.startsWith('/api/v1/')
            ? await panel.app.request(`${PUBLIC_URL}${path}`, {
                method,
                headers: { authorization: `Bearer ${token}` },
              })
            : await client.request(method, path)
          await res.body?.cancel()
          const readable = methods.has('GET') && method === 'HEAD'
          if (res.status >= 500) problems.push(`${method} ${path} answered ${res.status}`)
          if (!readable && res.status < 400) problems.push(`${method} ${path} answered ${res.status}`)
        }
      }
    } finally {
      stop()
    }
    expect(problems).toEqual([])
    expect(spawned).toEqual([])
    expect(await snapshot(panel.deps.database)).toBe(before)
  })

  test('an unregistered method answers 405 with Allow', async () => {
    const res = await panel.app.request(`${PUBLIC_URL}/api/v1/users`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toContain('POST')
  })
})
