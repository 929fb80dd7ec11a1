import { afterAll, beforeAll, expect, test } from 'bun:test'
import { createSession, SESSION_IDLE_MS } from '../../src/auth/sessions.ts'
import { ATTEMPTS_KEPT_MS, pruneSignInRecords } from '../../src/auth/throttle.ts'
import { type TestPanel, testPanel } from '../helpers.ts'

let panel: TestPanel
beforeAll(async () => {
  panel = await testPanel()
})
afterAll(() => panel.dispose())

test('old sign-in attempts and dead sessions are pruned, at most once an hour', async () => {
  const { db, t } = panel.deps.database
  const now = Date.now() + 24 * 60 * 60 * 1000
  const attempt = { username: 'x', ip: '192.0.2.1', stage: 'password' as const, result: 'failure' as const }
  await db.insert(t.loginAttempts).values([
    { ...attempt, username: 'old', at: new Date(now - ATTEMPTS_KEPT_MS - 1000) },
    { ...attempt, username: 'recent', at: new Date(now - 1000) },
  ])
  const user = await panel.createUser('user')
  await createSession(panel.deps.database, user.id, {
    stage: 'full',
    ip: null,
    userAgent: null,
    now: new Date(now - SESSION_IDLE_MS - 1000),
  })
  await createSession(panel.deps.database, user.id, {
    stage: 'full',
    ip: null,
    userAgent: null,
    now: new Date(now),
  })
  await pruneSignInRecords(panel.deps.database, now)
  expect((await db.select().from(t.loginAttempts)).map((r) => r.username)).toEqual(['recent'])
  expect(await db.select().from(t.sessions)).toHaveLength(1)
  await db.insert(t.loginAttempts).values({ ...attempt, username: 'old2', at: new Date(0) })
  await pruneSignInRecords(panel.deps.database, now + 1000)
  expect(await db.select().from(t.loginAttempts)).toHaveLength(2)
})
