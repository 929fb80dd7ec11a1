/**
 * Hostile input to the identity area: mass assignment of role and owner fields, bad
 * grammar, and text shown back to admins. A hostile input passes only with a clear
 * 4xx, nothing written and nothing spawned.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { User } from '../../src/areas/users/repository.ts'
import { observeSpawns } from '../../src/lib/spawn.ts'
import { TEST_PASSWORD, type TestPanel, testPanel } from '../helpers.ts'
import { Client, snapshot } from '../identity/support.ts'

let panel: TestPanel
let admin: User
let reseller: User
let adminToken: string
let resellerToken: string
let userToken: string

beforeAll(async () => {
  panel = await testPanel()
  admin = await panel.createUser('admin')
  reseller = await panel.createUser('reseller')
  adminToken = await panel.token(admin)
  resellerToken = await panel.token(reseller)
  userToken = await panel.token(await panel.createUser('user', { parentId: reseller.id }))
})
afterAll(() => panel.dispose())

/** Runs hostile requests; each must answer `status`, with no row written and no process started. */
async function refused(requests: (() => Promise<Response>)[], statuses: number[]) {
  const spawned: string[] = []
  const stop = observeSpawns((argv) => spawned.push(argv.join(' ')))
  const before = await snapshot(panel.deps.database)
  const got: number[] = []
  try {
    for (const request of requests) {
      const res = await request()
      got.push(res.status)
      if (!statuses.includes(res.status)) console.error(await res.text())
    }
  } finally {
    stop()
  }
  for (const status of got) expect(statuses).toContain(status)
  expect(spawned).toEqual([])
  expect((await snapshot(panel.deps.database)) === before).toBe(true)
}

describe('mass assignment', () => {
  test('owner and tenant fields are not fields of any identity resource (422, nothing written)', async () => {
    const child = await panel.createUser('user', { parentId: reseller.id })
    await refused(
      [
        () =>
          panel.api(resellerToken, 'POST', '/users', { username: 'ma1', role: 'user', parent_id: admin.id }),
        () =>
          panel.api(resellerToken, 'POST', '/users', { username: 'ma2', role: 'user', owner_id: admin.id }),
        () => panel.api(resellerToken, 'POST', '/users', { username: 'ma3', role: 'user', tenant_id: 1 }),
        () => panel.api(resellerToken, 'PATCH', `/users/${child.id}`, { parent_id: admin.id }),
        () => panel.api(resellerToken, 'PATCH', `/users/${child.id}`, { totp_enabled: false }),
        () => panel.api(resellerToken, 'PATCH', `/users/${child.id}`, { password_hash: 'x' }),
        () =>
          panel.api(adminToken, 'POST', '/packages', {
            name: 'p',
            max_websites: 1,
            max_databases: 1,
            max_dns_zones: 1,
            disk_mb: 1,
            owner_id: reseller.id,
          }),
        () => panel.api(userToken, 'PATCH', '/account', { role: 'admin' }),
        () => panel.api(userToken, 'PATCH', '/account', { parent_id: null }),
        () =>
          panel.api(userToken, 'POST', '/account/tokens', { name: 't', scope: 'write', user_id: admin.id }),
      ],
      [422],
    )
  })

  test('roles a caller may not grant are refused (403, nothing written)', async () => {
    const child = await panel.createUser('user', { parentId: reseller.id })
    await refused(
      [
        () => panel.api(resellerToken, 'POST', '/users', { username: 'up1', role: 'admin' }),
        () => panel.api(resellerToken, 'POST', '/users', { username: 'up2', role: 'reseller' }),
        () => panel.api(resellerToken, 'PATCH', `/users/${child.id}`, { role: 'admin' }),
        () => panel.api(userToken, 'POST', '/users', { username: 'up3', role: 'user' }),
      ],
      [403],
    )
  })

  test('forms refuse extra fields the same way', async () => {
    const client = new Client(panel.app, '192.0.2.120')
    await client.signIn(reseller.username, TEST_PASSWORD)
    await refused(
      [
        () => client.post('/users', { username: 'form1', role: 'user', parent_id: String(admin.id) }),
        () => client.post('/account/profile', { email: 'a@example.com', role: 'admin' }),
        () => client.post('/account/tokens', { name: 'x', scope: 'write', user_id: String(admin.id) }),
      ],
      [422],
    )
  })

  test('PATCH with nothing to change is a no-op, not an error', async () => {
    expect((await panel.api(userToken, 'PATCH', '/account', {})).status).toBe(200)
    const child = await panel.createUser('user', { parentId: reseller.id })
    expect((await panel.api(resellerToken, 'PATCH', `/users/${child.id}`, {})).status).toBe(200)
  })
})

describe('grammar', () => {
  test('hostile usernames, emails and package names are refused with 422', async () => {
    const bad = [
      { username: '-oProxyCommand=id', role: 'user' },
      { username: 'a;whoami', role: 'user' },
      { username: 'name\nx', role: 'user' },
      { username: 'root', role: 'user' },
      { username: 'ok-name', role: 'user', email: 'x@y.z\r\nBcc: a@b.c' },
      { username: 'ok-name', role: 'user', email: '"><script>@x.y' },
      { username: 'ok-name', role: 'superuser' },
      { username: 'ok-name', role: 'user', password: 'short' },
      { username: 'ok-name', role: 'user', password: `long enough\u0000nul` },
    ]
    await refused(
      [
        ...bad.map((body) => () => panel.api(adminToken, 'POST', '/users', body)),
        () =>
          panel.api(adminToken, 'POST', '/packages', {
            name: 'line\nbreak',
            max_websites: 1,
            max_databases: 1,
            max_dns_zones: 1,
            disk_mb: 1,
          }),
        () =>
          panel.api(adminToken, 'POST', '/packages', {
            name: 'negative',
            max_websites: -1,
            max_databases: 1,
            max_dns_zones: 1,
            disk_mb: 1,
          }),
        () => panel.api(adminToken, 'GET', '/users?per_page=100000'),
        () => panel.api(adminToken, 'GET', '/users?role=god'),
      ],
      [422],
    )
  })

  test('ids too large for the database are plain 404s, not errors', async () => {
    for (const path of ['/users/99999999999', '/packages/2147483648', '/users/1e3', '/users/-1']) {
      expect((await panel.api(adminToken, 'GET', path)).status).toBe(404)
    }
  })
})

describe('escaping', () => {
  test('a <script> username from a failed sign-in is shown to admins as text', async () => {
    const hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    const agent = '<svg onload=alert(2)>'
    const attacker = new Client(panel.app, '192.0.2.130', agent)
    expect((await attacker.login(hostile, 'whatever')).status).toBe(401)
    const loginPage = await (await attacker.login(hostile, 'again')).text()
    // Inside a double-quoted attribute only the quote can break out, and it is escaped.
    expect(loginPage).toContain('value="<script>alert(&#34;x&#34;)</script><img src=x onerror=alert(1)>"')
    expect(loginPage).not.toContain('alert("x")')
    const viewer = new Client(panel.app, '192.0.2.131')
    await viewer.signIn(admin.username, TEST_PASSWORD)
    const html = await (await viewer.get('/audit/logins')).text()
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;')
    // Outside double-quoted attribute values (where only an escaped quote could break out):
    const markup = html.replace(/="[^"]*"/g, '=""')
    expect(markup).not.toContain('<script>alert')
    expect(markup).not.toContain('<img src=x')
    expect(markup).not.toContain('<svg onload')
    const json = (await (await panel.api(adminToken, 'GET', '/login-attempts?q=script')).json()) as {
      data: { username: string }[]
    }
    expect(json.data[0]!.username).toBe(hostile)
  })

  test('sign-in attempts are for admins only', async () => {
    expect((await panel.api(resellerToken, 'GET', '/login-attempts')).status).toBe(403)
  })
})
