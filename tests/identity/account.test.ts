import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { findUserById } from '../../src/areas/users/repository.ts'
import { sha256Hex } from '../../src/lib/crypto.ts'
import { TEST_PASSWORD, type TestPanel, testPanel } from '../helpers.ts'
import { Client } from './support.ts'

let panel: TestPanel
beforeAll(async () => {
  panel = await testPanel()
})
afterAll(() => panel.dispose())

describe('sessions', () => {
  test('/account lists the sessions with device, IP and last seen, and revokes any', async () => {
    const user = await panel.createUser('user')
    const laptop = new Client(panel.app, '203.0.113.21')
    const phone = new Client(
      panel.app,
      '203.0.113.22',
      'Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36',
    )
    await laptop.signIn(user.username, TEST_PASSWORD)
    await phone.signIn(user.username, TEST_PASSWORD)
    const html = await (await laptop.get('/account')).text()
    expect(html).toContain('Firefox on Linux')
    expect(html).toContain('Chrome on Android')
    expect(html).toContain('203.0.113.22')
    expect(html).toContain('this session')
    const phoneId = sha256Hex(phone.token)
    expect(html).toContain(`/account/sessions/${phoneId}/revoke`)
    const revoked = await laptop.post(`/account/sessions/${phoneId}/revoke`)
    expect(revoked.status).toBe(200)
    expect((await phone.get('/account')).status).toBe(302)
    expect((await laptop.get('/account')).status).toBe(200)
  })

  test("another user's session cannot be revoked (404) and stays alive", async () => {
    const alice = await panel.createUser('user')
    const bob = await panel.createUser('user')
    const a = new Client(panel.app, '203.0.113.23')
    const b = new Client(panel.app, '203.0.113.24')
    await a.signIn(alice.username, TEST_PASSWORD)
    await b.signIn(bob.username, TEST_PASSWORD)
    const res = await a.post(`/account/sessions/${sha256Hex(b.token)}/revoke`)
    expect(res.status).toBe(404)
    expect((await b.get('/account')).status).toBe(200)
  })

  test('a password change ends every other session and needs the current password', async () => {
    const user = await panel.createUser('user')
    const one = new Client(panel.app, '203.0.113.25')
    const two = new Client(panel.app, '203.0.113.26')
    await one.signIn(user.username, TEST_PASSWORD)
    await two.signIn(user.username, TEST_PASSWORD)
    const wrong = await one.post('/account/password', {
      current_password: 'nope',
      new_password: 'another long password',
    })
    expect(wrong.status).toBe(422)
    expect((await two.get('/account')).status).toBe(200)
    const ok = await one.post('/account/password', {
      current_password: TEST_PASSWORD,
      new_password: 'another long password',
    })
    expect(ok.status).toBe(200)
    expect((await two.get('/account')).status).toBe(302)
    expect((await one.get('/account')).status).toBe(200)
    const fresh = new Client(panel.app, '203.0.113.27')
    expect((await fresh.login(user.username, TEST_PASSWORD)).status).toBe(401)
    expect((await fresh.login(user.username, 'another long password')).status).toBe(303)
  })

  test('an admin resetting a password ends that user’s sessions', async () => {
    const user = await panel.createUser('user')
    const client = new Client(panel.app, '203.0.113.28')
    await client.signIn(user.username, TEST_PASSWORD)
    const admin = await panel.signIn('admin')
    const res = await admin.post(`/users/${user.id}/password`, { password: '' })
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('New password, shown only now')
    expect((await client.get('/account')).status).toBe(302)
  })

  test('the profile form changes the email only; role and owner are not fields (422)', async () => {
    const user = await panel.createUser('user')
    const client = new Client(panel.app, '203.0.113.29')
    await client.signIn(user.username, TEST_PASSWORD)
    expect((await client.post('/account/profile', { email: 'me@example.com' })).status).toBe(200)
    expect((await findUserById(panel.deps.database, user.id))?.email).toBe('me@example.com')
    const sneaky = await client.post('/account/profile', { email: 'me@example.com', role: 'admin' })
    expect(sneaky.status).toBe(422)
    expect((await findUserById(panel.deps.database, user.id))?.role).toBe('user')
  })
})

describe('API tokens', () => {
  test('made on /account, shown once, used, listed with last use, and revoked', async () => {
    const user = await panel.createUser('user')
    const client = new Client(panel.app, '203.0.113.30')
    await client.signIn(user.username, TEST_PASSWORD)
    const res = await client.post('/account/tokens', { name: 'deploy', scope: 'read', expires_in_days: '30' })
    expect(res.status).toBe(200)
    const token = /data-new-token[^>]*>([^<]+)</.exec(await res.text())?.[1]
    expect(token).toMatch(/^up_/)
    const { db, t } = panel.deps.database
    const [row] = await db.select().from(t.apiTokens).where(eq(t.apiTokens.userId, user.id))
    expect(row?.tokenHash).toBe(sha256Hex(token!))
    expect(row?.scope).toBe('read')
    expect(row?.expiresAt?.getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000)
    expect((await panel.api(token!, 'GET', '/account')).status).toBe(200)
    expect((await panel.api(token!, 'PATCH', '/account', { email: 'x@example.com' })).status).toBe(403)
    const html = await (await client.get('/account')).text()
    expect(html).toContain('deploy')
    expect(html).not.toContain(token!)
    const listed = (await (await panel.api(token!, 'GET', '/account/tokens')).json()) as {
      data: { last_used_at: string | null }[]
    }
    expect(listed.data[0]!.last_used_at).not.toBeNull()
    expect((await client.post(`/account/tokens/${row!.id}/revoke`)).status).toBe(200)
    expect((await panel.api(token!, 'GET', '/account')).status).toBe(401)
  })

  test('an expired token is refused', async () => {
    const user = await panel.createUser('user')
    const token = await panel.token(user)
    const { db, t } = panel.deps.database
    await db
      .update(t.apiTokens)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(t.apiTokens.userId, user.id))
    expect((await panel.api(token, 'GET', '/account')).status).toBe(401)
  })

  test('the API makes and revokes tokens of the caller only', async () => {
    const alice = await panel.createUser('user')
    const bob = await panel.createUser('user')
    const aliceToken = await panel.token(alice)
    const bobToken = await panel.token(bob)
    const made = await panel.api(aliceToken, 'POST', '/account/tokens', { name: 'second', scope: 'write' })
    expect(made.status).toBe(201)
    const body = (await made.json()) as { id: number; token: string }
    expect(body.token).toMatch(/^up_/)
    expect((await panel.api(bobToken, 'DELETE', `/account/tokens/${body.id}`)).status).toBe(404)
    expect((await panel.api(body.token, 'GET', '/account')).status).toBe(200)
    expect((await panel.api(aliceToken, 'DELETE', `/account/tokens/${body.id}`)).status).toBe(204)
    expect((await panel.api(body.token, 'GET', '/account')).status).toBe(401)
  })

  test('PATCH /api/v1/account changes only profile fields', async () => {
    const user = await panel.createUser('user')
    const token = await panel.token(user)
    const ok = await panel.api(token, 'PATCH', '/account', { email: 'api@example.com' })
    expect(ok.status).toBe(200)
    expect(((await ok.json()) as { email: string }).email).toBe('api@example.com')
    for (const field of ['role', 'parent_id', 'package_id', 'status', 'username', 'owner_id', 'tenant_id']) {
      const res = await panel.api(token, 'PATCH', '/account', { [field]: field === 'role' ? 'admin' : 1 })
      expect(res.status).toBe(422)
      const error = ((await res.json()) as { error: { fields: Record<string, string> } }).error
      expect(error.fields[field]).toBe('is not a field of this resource')
    }
    const stored = (await findUserById(panel.deps.database, user.id))!
    expect([stored.role, stored.parentId, stored.packageId, stored.status]).toEqual([
      'user',
      null,
      null,
      'active',
    ])
  })
})

describe('audit', () => {
  test('admins see all rows, resellers their users’ rows, users their own', async () => {
    const reseller = await panel.createUser('reseller')
    const child = await panel.createUser('user', { parentId: reseller.id })
    const stranger = await panel.createUser('user')
    for (const who of [reseller, child, stranger]) {
      const token = await panel.token(who)
      await panel.api(token, 'PATCH', '/account', { email: `${who.username}@example.com` })
    }
    const actors = async (token: string) => {
      const res = await panel.api(token, 'GET', '/audit?action=account.update&per_page=200')
      expect(res.status).toBe(200)
      return ((await res.json()) as { data: { actor: { name: string } }[] }).data.map((r) => r.actor.name)
    }
    const admin = await panel.createUser('admin')
    const all = await actors(await panel.token(admin))
    expect(all).toEqual(expect.arrayContaining([reseller.username, child.username, stranger.username]))
    const resellerView = await actors(await panel.token(reseller))
    expect(resellerView.sort()).toEqual([child.username, reseller.username].sort())
    expect(await actors(await panel.token(child))).toEqual([child.username])
    const page = await (await panel.signIn('admin')).get(`/audit?actor=${stranger.username}`)
    expect(await page.text()).toContain(stranger.username)
    const row = (
      (await (await panel.api(await panel.token(admin), 'GET', '/audit?action=account.update')).json()) as {
        data: Record<string, unknown>[]
      }
    ).data[0]!
    expect(Object.keys(row).sort()).toEqual(
      ['action', 'actor', 'after', 'at', 'before', 'id', 'ip', 'job_id', 'object_id', 'object_type'].sort(),
    )
  })

  test('every change is audited with its actor, token and IP; secrets are redacted', async () => {
    const admin = await panel.createUser('admin')
    const token = await panel.token(admin)
    const res = await panel.api(token, 'POST', '/users', {
      username: 'audited',
      role: 'user',
      password: TEST_PASSWORD,
    })
    const made = (await res.json()) as { id: number }
    const rows = (
      (await (await panel.api(token, 'GET', `/audit?object_type=user&object_id=${made.id}`)).json()) as {
        data: { actor: { user_id: number; token_id: number }; after: Record<string, unknown> }[]
      }
    ).data
    expect(rows).toHaveLength(1)
    expect(rows[0]!.actor.user_id).toBe(admin.id)
    expect(rows[0]!.actor.token_id).toBeGreaterThan(0)
    expect(JSON.stringify(rows)).not.toContain(TEST_PASSWORD)
  })
})
