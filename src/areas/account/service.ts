/**
 * The caller's own account: profile, password, sessions, API tokens and 2FA. A
 * password or 2FA change ends every other session of the user; tokens are refused
 * to a user whose role requires 2FA until it has enrolled.
 */
import { createApiToken, publicToken, revokeApiToken } from '../../auth/api-tokens.ts'
import type { Caller } from '../../auth/caller.ts'
import { needsTotpEnrolment } from '../../auth/policy.ts'
import { deleteSession, deleteUserSessions, listUserSessions } from '../../auth/sessions.ts'
import { acceptTotpCode, confirmEnrolment, disableTotp, replaceRecoveryCodes } from '../../auth/totp.ts'
import type { Deps } from '../../deps.ts'
import { AppError, notFound } from '../../lib/errors.ts'
import { recordAudit } from '../audit/record.ts'
import { findUserById, publicUser, setPassword, type User, updateUserRow } from '../users/repository.ts'

type D = Pick<Deps, 'database' | 'config'>

export async function updateProfile(
  deps: D,
  caller: Caller,
  input: { email?: string | null },
): Promise<User> {
  const before = caller.user
  const after = await updateUserRow(deps.database, before.id, {
    ...(input.email !== undefined ? { email: input.email } : {}),
  })
  await recordAudit(deps.database, caller.actor, {
    action: 'account.update',
    objectType: 'user',
    objectId: before.id,
    before: publicUser(before),
    after: publicUser(after),
  })
  return after
}

/** Changes the caller's password after checking the current one; ends its other sessions. */
export async function changePassword(
  deps: D,
  caller: Caller,
  keepSessionId: string | null,
  input: { current_password: string; new_password: string },
): Promise<void> {
  const user = await findUserById(deps.database, caller.user.id)
  if (!user || !(await Bun.password.verify(input.current_password, user.passwordHash)))
    throw new AppError('invalid', 'the current password is wrong', { current_password: 'is wrong' })
  await setPassword(deps.database, user.id, input.new_password)
  await deleteUserSessions(deps.database, user.id, keepSessionId ?? undefined)
  await recordAudit(deps.database, caller.actor, {
    action: 'account.password',
    objectType: 'user',
    objectId: user.id,
  })
}

export async function sessionsOf(deps: D, user: User) {
  return (await listUserSessions(deps.database, user.id)).filter((s) => s.stage === 'full').reverse()
}

export async function revokeSession(deps: D, caller: Caller, sessionId: string): Promise<void> {
  const mine = (await listUserSessions(deps.database, caller.user.id)).find((s) => s.id === sessionId)
  if (!mine) throw notFound('the session')
  await deleteSession(deps.database, mine.id)
  await recordAudit(deps.database, caller.actor, {
    action: 'session.revoke',
    objectType: 'session',
    objectId: mine.id.slice(0, 12),
    before: { ip: mine.ip, user_agent: mine.userAgent },
  })
}

export async function makeToken(
  deps: D,
  caller: Caller,
  input: { name: string; scope: 'read' | 'write'; expires_in_days?: number },
): Promise<{ token: string; row: ReturnType<typeof publicToken> }> {
  if (await needsTotpEnrolment(deps.database, caller.user))
    throw new AppError(
      'forbidden',
      'your role requires two-factor authentication; turn it on in Account › Security before making API tokens',
    )
  const { token, row } = await createApiToken(deps.database, {
    userId: caller.user.id,
    name: input.name.trim(),
    scope: input.scope,
    expiresAt: input.expires_in_days ? new Date(Date.now() + input.expires_in_days * 86_400_000) : null,
  })
  await recordAudit(deps.database, caller.actor, {
    action: 'token.create',
    objectType: 'api_token',
    objectId: row.id,
    after: { name: row.name, scope: row.scope, expires_at: row.expiresAt?.toISOString() ?? null },
  })
  return { token, row: publicToken(row) }
}

export async function revokeToken(deps: D, caller: Caller, tokenId: number): Promise<void> {
  const row = await revokeApiToken(deps.database, caller.user.id, tokenId)
  if (!row) throw notFound('the API token')
  await recordAudit(deps.database, caller.actor, {
    action: 'token.revoke',
    objectType: 'api_token',
    objectId: row.id,
    before: { name: row.name, scope: row.scope },
  })
}

/** Turns 2FA on with a first code; returns the recovery codes (shown once). Ends other sessions. */
export async function enableTotp(
  deps: D,
  caller: Caller,
  keepSessionId: string | null,
  input: { code: string; pending: string },
): Promise<string[]> {
  const user = await findUserById(deps.database, caller.user.id)
  if (!user) throw notFound('the account')
  if (user.totpEnabled) throw new AppError('conflict', 'two-factor authentication is already on')
  const codes = await confirmEnrolment(deps, user, input.pending, input.code.trim())
  if (!codes)
    throw new AppError(
      'invalid',
      'that code does not match, or the enrolment expired; check the time on your phone and try the next code',
      {
        code: 'does not match',
      },
    )
  await deleteUserSessions(deps.database, user.id, keepSessionId ?? undefined)
  await recordAudit(deps.database, caller.actor, {
    action: 'account.2fa-on',
    objectType: 'user',
    objectId: user.id,
  })
  return codes
}

/** Turns 2FA off after checking the password; ends other sessions. */
export async function turnOffTotp(
  deps: D,
  caller: Caller,
  keepSessionId: string | null,
  password: string,
): Promise<void> {
  const user = await findUserById(deps.database, caller.user.id)
  if (!user || !(await Bun.password.verify(password, user.passwordHash)))
    throw new AppError('invalid', 'the password is wrong', { password: 'is wrong' })
  if (await needsTotpEnrolmentIfOff(deps, user))
    throw new AppError('forbidden', 'your role requires two-factor authentication; it cannot be turned off')
  await disableTotp(deps.database, user.id)
  await deleteUserSessions(deps.database, user.id, keepSessionId ?? undefined)
  await recordAudit(deps.database, caller.actor, {
    action: 'account.2fa-off',
    objectType: 'user',
    objectId: user.id,
  })
}

async function needsTotpEnrolmentIfOff(deps: D, user: User): Promise<boolean> {
  return needsTotpEnrolment(deps.database, { ...user, totpEnabled: false })
}

/** New recovery codes after a current TOTP code; the old ones stop working. */
export async function newRecoveryCodes(deps: D, caller: Caller, code: string): Promise<string[]> {
  const user = await findUserById(deps.database, caller.user.id)
  if (!user?.totpEnabled) throw new AppError('conflict', 'turn two-factor authentication on first')
  if (!(await acceptTotpCode(deps, user, code.trim())))
    throw new AppError('invalid', 'that code does not match', { code: 'does not match' })
  const codes = await replaceRecoveryCodes(deps.database, user.id)
  await recordAudit(deps.database, caller.actor, {
    action: 'account.recovery-codes',
    objectType: 'user',
    objectId: user.id,
  })
  return codes
}
