/**
 * The admins' security policy: which roles must use two-factor authentication. A user
 * whose role requires it and who has not enrolled may only reach the enrolment page,
 * and neither makes nor uses API tokens until enrolled (SECURITY.md: a token never
 * bypasses the policy). Kept in the settings table; read through a short cache so the
 * check costs nothing per request, and dropped at once in the process that changes it.
 *
 * @example
 *   if (await needsTotpEnrolment(deps.database, user)) return c.redirect('/account/security')
 */
import { eq } from 'drizzle-orm'
import { ROLES, type Role, type User } from '../areas/users/repository.ts'
import type { Database } from '../db/client.ts'

const KEY = 'security.require_2fa_roles'
const CACHE_MS = 5000

const cache = new WeakMap<Database, { roles: Role[]; at: number }>()

export async function rolesRequiring2fa(database: Database, now = Date.now()): Promise<Role[]> {
  const hit = cache.get(database)
  if (hit && now - hit.at < CACHE_MS) return hit.roles
  const { db, t } = database
  const [row] = await db.select().from(t.settings).where(eq(t.settings.key, KEY)).limit(1)
  const stored = Array.isArray(row?.value) ? (row.value as unknown[]) : []
  const roles = ROLES.filter((role) => stored.includes(role))
  cache.set(database, { roles, at: now })
  return roles
}

export async function setRolesRequiring2fa(database: Database, roles: Role[]): Promise<void> {
  const { db, t } = database
  const value = ROLES.filter((role) => roles.includes(role))
  await db
    .insert(t.settings)
    .values({ key: KEY, value })
    .onConflictDoUpdate({ target: t.settings.key, set: { value } })
  cache.delete(database)
}

/** True when the user's role requires 2FA and the user has not turned it on. */
export async function needsTotpEnrolment(database: Database, user: User): Promise<boolean> {
  if (user.totpEnabled) return false
  return (await rolesRequiring2fa(database)).includes(user.role)
}
