/**
 * Session fixation and rotation, timeouts, cookie attributes; TOTP replay and brute
 * force; sign-in throttling per IP and per account with Retry-After.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { identityChanged } from '../../src/auth/session-cache.ts'
import { createSession, SESSION_IDLE_MS } from '../../src/auth/sessions.ts'
import { THROTTLE } from '../../src/auth/throttle.ts'
import { sha256Hex } from '../../src/lib/crypto.ts'
import { TEST_PASSWORD, type TestPanel, testPanel } from '../helpers.ts'
import { Client, enrol, forgetLastStep, totpCode } from '../identity/support.ts'

let panel: TestPanel
beforeAll(async () => {
  panel = await testPanel()
})
afterAll(() => panel.dispose())

describe('sessions', () => {
  test('a session id planted before sign-in is never adopted (fixation)', async () => {
    const user = await panel.createUser('user')
    const { token: planted } = await createSession(panel.deps.database, user.id, {
      stage: 'password',
      ip: null,
      userAgent: null,
    })
    const victim = new Client(panel.app, '192.0.2.70')
    victim.cookie = `unipanel_session=${planted}`
    await victim.loadCsrf('/login')
    const res = await victim.post('/login', { username: user.username, password: TEST_PASSWORD })
    expect(res.status).toBe(303)
    expect(victim.token).not.toBe(planted)
    const attacker = new Client(panel.app, '192.0.2.71')
    attacker.cookie = `unipanel_session=${planted}`
    expect((await attacker.get('/account')).status).toBe(302)
    expect((await victim.get('/account')).status).toBe(200)
  })

  test('ids are stored hashed; the stored value does not work as a cookie', async () => {
    const user = await panel.createUser('user')
    const client = new Client(panel.app, '192.0.2.72')
    await client.signIn(user.username, TEST_PASSWORD)
    const { db, t } = panel.deps.database
    const rows = await db.select().from(t.sessions).where(eq(t.sessions.userId, user.id))
    expect(rows.map((r) => r.id)).toEqual([sha256Hex(client.token)])
    expect(client.token.length).toBeGreaterThanOrEqual(22)
    const thief = new Client(panel.app, '192.0.2.73')
    thief.cookie = `unipanel_session=${rows[0]!.id}`
    expect((await thief.get('/account')).status).toBe(302)
  })

  test('an idle session and one past its absolute end are refused', async () => {
    const user = await panel.createUser('user')
    const idle = new Client(panel.app, '192.0.2.74')
    const old = new Client(panel.app, '192.0.2.75')
    await idle.signIn(user.username, TEST_PASSWORD)
    await old.signIn(user.username, TEST_PASSWORD)
    const { db, t } = panel.deps.database
    await db
      .update(t.sessions)
      .set({ lastSeenAt: new Date(Date.now() - SESSION_IDLE_MS - 1000) })
      .where(eq(t.sessions.id, sha256Hex(idle.token)))
    await db
      .update(t.sessions)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(t.sessions.id, sha256Hex(old.token)))
    // Written behind the panel's back: tell its one-second session memory, as a writer in the panel does.
    identityChanged(panel.deps.database)
    expect((await idle.get('/account')).status).toBe(302)
    expect((await old.get('/account')).status).toBe(302)
  })

  test('in production the cookie is __Host- prefixed, Secure, HttpOnly and SameSite', async () => {
    const prod = await testPanel({ UNIPANEL_ENV: 'production' })
    try {
      const user = await prod.createUser('user')
      const client = new Client(prod.app, '192.0.2.76')
      const res = await client.login(user.username, TEST_PASSWORD)
      expect(res.status).toBe(303)
      const cookie = res.headers.getSetCookie().find((c) => c.includes('unipanel_session'))!
      expect(cookie).toStartWith('__Host-unipanel_session=')
      expect(cookie).toContain('Secure')
      expect(cookie).toContain('HttpOnly')
      expect(cookie).toContain('SameSite=Lax')
      expect(cookie).toContain('Path=/')
      expect(cookie).not.toContain('Domain=')
    } finally {
      await prod.dispose()
    }
  })
})

describe('TOTP attacks', () => {
  test('brute force: after five wrong codes the account is locked (429) even for the right code, and a new password login does not reset it', async () => {
    const user = await panel.createUser('user')
    const client = new Client(panel.app, '192.0.2.80')
    await client.signIn(user.username, TEST_PASSWORD)
    const { secret } = await enrol(client)
    await forgetLastStep(panel.deps.database, user.id)
    await client.post('/logout')
    await client.login(user.username, TEST_PASSWORD)
    await client.loadCsrf('/login/totp')
    for (let i = 0; i < THROTTLE.secondStepPerAccount; i++) {
      expect((await client.post('/login/totp', { code: String(100000 + i) })).status).toBe(401)
    }
    const locked = await client.post('/login/totp', { code: await totpCode(secret) })
    expect(locked.status).toBe(429)
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0)
    // A fresh password login, from another IP, does not start a new count.
    const other = new Client(panel.app, '192.0.2.81')
    const again = await other.login(user.username, TEST_PASSWORD)
    expect(again.status).toBe(429)
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0)
    const { db, t } = panel.deps.database
    const rows = await db.select().from(t.loginAttempts).where(eq(t.loginAttempts.userId, user.id))
    expect(rows.filter((r) => r.stage === 'totp' && r.result === 'failure')).toHaveLength(5)
    expect(rows.filter((r) => r.result === 'throttled').length).toBeGreaterThanOrEqual(2)
  })

  test('a replayed code is refused (a code works once)', async () => {
    const user = await panel.createUser('user')
    const client = new Client(panel.app, '192.0.2.82')
    await client.signIn(user.username, TEST_PASSWORD)
    const { secret } = await enrol(client)
    await client.post('/logout')
    const code = await totpCode(secret, 1)
    await client.signIn(user.username, TEST_PASSWORD, async () => code)
    const thief = new Client(panel.app, '192.0.2.83')
    await thief.login(user.username, TEST_PASSWORD)
    await thief.loadCsrf('/login/totp')
    expect((await thief.post('/login/totp', { code })).status).toBe(401)
    expect((await thief.get('/account')).status).toBe(302)
  })
})

describe('sign-in throttling', () => {
  test('per account: after five failures even the right password waits, from any IP; other accounts are unaffected', async () => {
    const user = await panel.createUser('user')
    const bystander = await panel.createUser('user')
    for (let i = 0; i < THROTTLE.perAccount; i++) {
      const res = await new Client(panel.app, `192.0.2.${90 + i}`).login(user.username, `wrong ${i}`)
      expect(res.status).toBe(401)
    }
    const locked = await new Client(panel.app, '192.0.2.99').login(user.username.toUpperCase(), TEST_PASSWORD)
    expect(locked.status).toBe(429)
    const wait = Number(locked.headers.get('retry-after'))
    expect(wait).toBeGreaterThan(THROTTLE.windowMs / 1000 - 60)
    expect(wait).toBeLessThanOrEqual(THROTTLE.windowMs / 1000)
    expect(await locked.text()).toContain('Too many failed sign-in attempts')
    expect((await new Client(panel.app, '192.0.2.99').login(bystander.username, TEST_PASSWORD)).status).toBe(
      303,
    )
  })

  test('an unknown name is throttled exactly like a known one (no user enumeration)', async () => {
    for (let i = 0; i < THROTTLE.perAccount; i++) {
      await new Client(panel.app, `192.0.2.${110 + i}`).login('nobody-here', 'x')
    }
    expect((await new Client(panel.app, '192.0.2.119').login('nobody-here', 'x')).status).toBe(429)
  })

  test('per IP: one address failing across many names is stopped, other addresses are not', async () => {
    const user = await panel.createUser('user')
    const ip = '198.18.0.1'
    for (let i = 0; i < THROTTLE.perIp; i++) {
      const res = await new Client(panel.app, ip).login(`spray${i}`, 'password123')
      expect(res.status).toBe(401)
    }
    const blocked = await new Client(panel.app, ip).login(user.username, TEST_PASSWORD)
    expect(blocked.status).toBe(429)
    expect(blocked.headers.get('retry-after')).toMatch(/^\d+$/)
    expect((await new Client(panel.app, '198.18.0.2').login(user.username, TEST_PASSWORD)).status).toBe(303)
  })

  test('X-Forwarded-For is not trusted without a configured proxy', async () => {
    const ip = '198.18.1.1'
    for (let i = 0; i < THROTTLE.perIp; i++) {
      await new Client(panel.app, ip).request('POST', '/login', {
        form: { username: `xff${i}`, password: 'x' },
        headers: { 'x-forwarded-for': `10.9.${i}.1` },
      })
    }
    const res = await new Client(panel.app, ip).request('POST', '/login', {
      form: { username: 'xff-last', password: 'x' },
      headers: { 'x-forwarded-for': '10.9.99.1' },
    })
    expect(res.status).toBe(429)
  })
})
