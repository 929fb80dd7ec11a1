import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { findUserById } from '../../src/areas/users/repository.ts'
import { sha256Hex } from '../../src/lib/crypto.ts'
import { TEST_PASSWORD, type TestPanel, testPanel } from '../helpers.ts'
import { Client, enrol, forgetLastStep, totpCode } from './support.ts'

let panel: TestPanel
beforeAll(async () => {
  panel = await testPanel()
})
afterAll(() => panel.dispose())

describe('sign-in without 2FA', () => {
  test('a good password gives a full session and a redirect; the attempt is recorded', async () => {
    const user = await panel.createUser('user')
    const client = new Client(panel.app, '198.51.100.1')
    const res = await client.login(user.username, TEST_PASSWORD)
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/')
    const cookie = res.headers.getSetCookie().join('\n')
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Lax')
    expect((await client.get('/account')).status).toBe(200)
    const { db, t } = panel.deps.database
    const rows = await db.select().from(t.loginAttempts).where(eq(t.loginAttempts.userId, user.id))
    expect(rows.map((r) => [r.stage, r.result, r.ip])).toEqual([['password', 'success', '198.51.100.1']])
  })

  test('a wrong password answers 401 with the form again, and is recorded as a failure', async () => {
    const user = await panel.createUser('user')
    const client = new Client(panel.app, '198.51.100.2')
    const res = await client.login(user.username, 'not the password')
    expect(res.status).toBe(401)
    expect(await res.text()).toContain('Wrong username or password.')
    expect(client.cookie).toBe('')
    const { db, t } = panel.deps.database
    const [row] = await db.select().from(t.loginAttempts).where(eq(t.loginAttempts.ip, '198.51.100.2'))
    expect(row?.result).toBe('failure')
    expect(row?.reason).toBe('wrong-password')
  })

  test('a deactivated account cannot sign in', async () => {
    const user = await panel.createUser('user')
    const admin = await panel.signIn('admin')
    const res = await admin.post(`/users/${user.id}/status`, { status: 'disabled' })
    expect(res.status).toBe(200)
    const client = new Client(panel.app, '198.51.100.3')
    expect((await client.login(user.username, TEST_PASSWORD)).status).toBe(401)
  })

  test('logout ends the session', async () => {
    const user = await panel.createUser('user')
    const client = new Client(panel.app, '198.51.100.4')
    await client.signIn(user.username, TEST_PASSWORD)
    const old = client.cookie
    expect((await client.post('/logout')).status).toBe(303)
    const again = await client.get('/account', { cookie: old })
    expect(again.status).toBe(302)
  })
})

describe('sign-in with TOTP', () => {
  test('enrolment turns 2FA on, shows ten recovery codes once and stores the secret sealed', async () => {
    const user = await panel.createUser('user')
    const client = new Client(panel.app, '198.51.100.10')
    await client.signIn(user.username, TEST_PASSWORD)
    const page = await (await client.get('/account/security')).text()
    expect(page).toContain('data:image/svg+xml;base64,')
    expect(page).not.toContain('style=')
    const { secret, codes } = await enrol(client)
    expect(codes).toHaveLength(10)
    expect(new Set(codes).size).toBe(10)
    const stored = (await findUserById(panel.deps.database, user.id))!
    expect(stored.totpEnabled).toBe(true)
    expect(stored.totpSecret).not.toContain(secret)
    expect(stored.totpSecret).toStartWith('v1.')
    const { db, t } = panel.deps.database
    const hashes = await db.select().from(t.recoveryCodes).where(eq(t.recoveryCodes.userId, user.id))
    expect(hashes.map((h) => h.codeHash).sort()).toEqual(codes.map((c) => sha256Hex(c)).sort())
    const later = await (await client.get('/account/security')).text()
    for (const code of codes) expect(later).not.toContain(code)
    expect(later).toContain('10 unused recovery codes left')
  })

  test('the password step rotates the session to a half session, and the TOTP step rotates it again', async () => {
    const user = await panel.createUser('user')
    const client = new Client(panel.app, '198.51.100.11')
    await client.signIn(user.username, TEST_PASSWORD)
    const { secret } = await enrol(client)
    await client.post('/logout')
    const before = 'unipanel_session=attacker-chosen-value-000'
    client.cookie = before
    const first = await client.login(user.username, TEST_PASSWORD)
    expect(first.status).toBe(303)
    expect(first.headers.get('location')).toBe('/login/totp')
    const half = client.cookie
    expect(half).not.toBe(before)
    expect(half).not.toBe('')
    // A half-signed-in session reaches no page.
    expect((await client.get('/account')).status).toBe(302)
    expect((await client.get('/api/v1/account', { authorization: '' })).status).toBe(401)
    await client.loadCsrf('/login/totp')
    const second = await client.post('/login/totp', { code: await totpCode(secret, 1) })
    expect(second.status).toBe(303)
    expect(client.cookie).not.toBe(half)
    expect((await client.get('/account')).status).toBe(200)
    expect((await client.get('/account', { cookie: half })).status).toBe(302)
  })

  test('a code is accepted once: replaying it fails, even within its period', async () => {
    const user = await panel.createUser('user')
    const client = new Client(panel.app, '198.51.100.12')
    await client.signIn(user.username, TEST_PASSWORD)
    const { secret } = await enrol(client)
    const code = await totpCode(secret, 1)
    await client.post('/logout')
    await client.signIn(user.username, TEST_PASSWORD, async () => code)
    await client.post('/logout')
    const attacker = new Client(panel.app, '198.51.100.13')
    expect((await attacker.login(user.username, TEST_PASSWORD)).status).toBe(303)
    await attacker.loadCsrf('/login/totp')
    const replay = await attacker.post('/login/totp', { code })
    expect(replay.status).toBe(401)
    expect(await replay.text()).toContain('wrong or was already used')
    // The enrolment code's period, the one before: older than the last used step, refused too.
    expect((await attacker.post('/login/totp', { code: await totpCode(secret, 0) })).status).toBe(401)
  })

  test('codes two steps away are refused (±1 step at most)', async () => {
    const user = await panel.createUser('user')
    const client = new Client(panel.app, '198.51.100.14')
    await client.signIn(user.username, TEST_PASSWORD)
    const { secret } = await enrol(client)
    await forgetLastStep(panel.deps.database, user.id)
    await client.post('/logout')
    await client.login(user.username, TEST_PASSWORD)
    await client.loadCsrf('/login/totp')
    expect((await client.post('/login/totp', { code: await totpCode(secret, 2) })).status).toBe(401)
    expect((await client.post('/login/totp', { code: await totpCode(secret, -2) })).status).toBe(401)
    expect((await client.post('/login/totp', { code: await totpCode(secret, -1) })).status).toBe(303)
  })

  test('a recovery code signs in once', async () => {
    const user = await panel.createUser('user')
    const client = new Client(panel.app, '198.51.100.15')
    await client.signIn(user.username, TEST_PASSWORD)
    const { codes } = await enrol(client)
    await client.post('/logout')
    await client.signIn(user.username, TEST_PASSWORD, async () => codes[3]!.toUpperCase())
    expect((await client.get('/account')).status).toBe(200)
    await client.post('/logout')
    await client.login(user.username, TEST_PASSWORD)
    await client.loadCsrf('/login/totp')
    expect((await client.post('/login/totp', { code: codes[3]! })).status).toBe(401)
    const page = await (await client.post('/login/totp', { code: codes[4]! })).status
    expect(page).toBe(303)
    await client.loadCsrf('/account')
    expect(await (await client.get('/account/security')).text()).toContain('8 unused recovery codes left')
  })

  test('the TOTP step without a password step is refused', async () => {
    const client = new Client(panel.app, '198.51.100.16')
    const res = await client.post('/login/totp', { code: '123456' })
    expect(res.status).toBe(401)
    expect((await client.get('/login/totp')).status).toBe(302)
  })

  test('turning 2FA on or off ends the other sessions, not the current one', async () => {
    const user = await panel.createUser('user')
    const laptop = new Client(panel.app, '198.51.100.17')
    const phone = new Client(panel.app, '198.51.100.18')
    await laptop.signIn(user.username, TEST_PASSWORD)
    await phone.signIn(user.username, TEST_PASSWORD)
    await enrol(laptop)
    expect((await laptop.get('/account')).status).toBe(200)
    expect((await phone.get('/account')).status).toBe(302)
    const secretUser = (await findUserById(panel.deps.database, user.id))!
    expect(secretUser.totpEnabled).toBe(true)
    const wrong = await laptop.post('/account/totp/disable', { password: 'wrong password' })
    expect(wrong.status).toBe(422)
    const off = await laptop.post('/account/totp/disable', { password: TEST_PASSWORD })
    expect(off.status).toBe(200)
    expect((await findUserById(panel.deps.database, user.id))!.totpEnabled).toBe(false)
  })

  test('new recovery codes need a current code and replace the old ones', async () => {
    const user = await panel.createUser('user')
    const client = new Client(panel.app, '198.51.100.19')
    await client.signIn(user.username, TEST_PASSWORD)
    const { secret, codes } = await enrol(client)
    expect((await client.post('/account/recovery-codes', { code: '000000' })).status).toBe(422)
    const res = await client.post('/account/recovery-codes', { code: await totpCode(secret, 1) })
    expect(res.status).toBe(200)
    const fresh = [...(await res.text()).matchAll(/>([a-z2-7]{5}-[a-z2-7]{5})</g)].map((m) => m[1])
    expect(fresh).toHaveLength(10)
    await client.post('/logout')
    await client.login(user.username, TEST_PASSWORD)
    await client.loadCsrf('/login/totp')
    expect((await client.post('/login/totp', { code: codes[0]! })).status).toBe(401)
    expect((await client.post('/login/totp', { code: fresh[0]! })).status).toBe(303)
  })
})

describe('2FA required per role', () => {
  test('an unenrolled member is held on the enrolment page and its tokens are refused until it enrols', async () => {
    const admin = await panel.signIn('admin')
    const reseller = await panel.createUser('reseller')
    const token = await panel.token(reseller, 'read')
    expect((await panel.api(token, 'GET', '/account')).status).toBe(200)
    const set = await admin.post('/users/policy', { roles: 'reseller' })
    expect(set.status).toBe(200)
    expect((await panel.api(token, 'GET', '/account')).status).toBe(403)
    const client = new Client(panel.app, '198.51.100.20')
    await client.login(reseller.username, TEST_PASSWORD)
    const blocked = await client.get('/users')
    expect(blocked.status).toBe(302)
    expect(blocked.headers.get('location')).toBe('/account/security')
    await client.loadCsrf('/account/security')
    const makeToken = await client.post('/account/tokens', { name: 'ci', scope: 'write' })
    expect(makeToken.status).toBe(403)
    const { secret } = await enrol(client)
    expect(secret).toHaveLength(32)
    expect((await client.get('/users')).status).toBe(200)
    expect((await panel.api(token, 'GET', '/account')).status).toBe(200)
    const off = await client.post('/account/totp/disable', { password: TEST_PASSWORD })
    expect(off.status).toBe(403)
    await admin.post('/users/policy', {})
  })

  test('the policy form refuses unknown roles', async () => {
    const admin = await panel.signIn('admin')
    expect((await admin.post('/users/policy', { roles: 'root' })).status).toBe(422)
    const user = await panel.signIn('user')
    expect((await user.post('/users/policy', { roles: 'user' })).status).toBe(403)
  })
})

describe('first run', () => {
  test('the setup link creates the first admin once', async () => {
    const fresh = await testPanel()
    try {
      const { issueSetupToken } = await import('../../src/auth/setup.ts')
      const token = await issueSetupToken(fresh.deps.database)
      const client = new Client(fresh.app, '198.51.100.30')
      expect((await client.get(`/setup?token=${token}`)).status).toBe(200)
      const made = await client.post(`/setup?token=${token}`, {
        username: 'admin',
        password: 'a long password 1',
      })
      expect(made.status).toBe(303)
      expect(
        (await client.post(`/setup?token=${token}`, { username: 'admin2', password: 'a long password 1' }))
          .status,
      ).toBe(404)
      await client.signIn('admin', 'a long password 1')
      expect((await client.get('/users')).status).toBe(200)
    } finally {
      await fresh.dispose()
    }
  })
})
