/**
 * The break-glass commands of the identity area as an operator runs them:
 * `unipanel user reset-2fa` and `unipanel token create` under a 2FA policy.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import { findUserByUsername } from '../../src/areas/users/repository.ts'
import { setRolesRequiring2fa } from '../../src/auth/policy.ts'
import { createSession } from '../../src/auth/sessions.ts'
import { replaceRecoveryCodes } from '../../src/auth/totp.ts'
import { type TestDeps, testDeps } from '../helpers.ts'
import { repoRoot } from '../process.ts'

let deps: TestDeps

beforeAll(async () => {
  deps = await testDeps()
})
afterAll(() => deps.dispose())

function cli(args: string[]) {
  const { config } = deps
  const child = Bun.spawnSync([process.execPath, join(repoRoot, 'src/main.ts'), ...args], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: deps.dataDir,
      UNIPANEL_DATA_DIR: deps.dataDir,
      UNIPANEL_SECRET: config.secret,
      ...(config.database.dialect === 'pg' ? { UNIPANEL_DATABASE_URL: config.database.url } : {}),
    },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  })
  return { code: child.exitCode, stdout: child.stdout.toString(), stderr: child.stderr.toString() }
}

test('user reset-2fa turns 2FA off, forgets the recovery codes and ends the sessions', async () => {
  expect(cli(['user', 'create', '--username', 'carla', '--role', 'user']).code).toBe(0)
  const { db, t } = deps.database
  const carla = (await findUserByUsername(deps.database, 'carla'))!
  await db
    .update(t.users)
    .set({ totpEnabled: true, totpSecret: 'v1.sealed', totpLastStep: 5 })
    .where(eq(t.users.id, carla.id))
  await replaceRecoveryCodes(deps.database, carla.id)
  await createSession(deps.database, carla.id, { stage: 'full', ip: null, userAgent: null })
  const result = cli(['user', 'reset-2fa', 'carla'])
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  expect(result.stdout).toContain('two-factor authentication of carla is off')
  const after = (await findUserByUsername(deps.database, 'carla'))!
  expect([after.totpEnabled, after.totpSecret, after.totpLastStep]).toEqual([false, null, null])
  expect(await db.select().from(t.recoveryCodes).where(eq(t.recoveryCodes.userId, carla.id))).toEqual([])
  expect(await db.select().from(t.sessions).where(eq(t.sessions.userId, carla.id))).toEqual([])
  const audit = await db.select().from(t.auditLog).where(eq(t.auditLog.action, 'user.reset-2fa'))
  expect(audit.map((a) => a.actorName)).toEqual(['cli'])
})

test('token create is refused while the role requires 2FA and the user has not enrolled', async () => {
  expect(cli(['user', 'create', '--username', 'dario', '--role', 'reseller']).code).toBe(0)
  await setRolesRequiring2fa(deps.database, ['reseller'])
  const refused = cli(['token', 'create', '--username', 'dario'])
  expect(refused.code).toBe(1)
  expect(refused.stderr.trim().split('\n')).toHaveLength(1)
  expect(refused.stderr).toContain('requires two-factor authentication')
  await setRolesRequiring2fa(deps.database, [])
  const made = cli(['token', 'create', '--username', 'dario'])
  expect(made.code).toBe(0)
  expect(made.stdout.trim()).toMatch(/^up_/)
})
