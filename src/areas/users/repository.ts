/**
 * Users: the rows behind logins, roles and tenancy. Other areas reach users only
 * through these functions.
 */
import { and, asc, eq, sql } from 'drizzle-orm'
import { identityChanged } from '../../auth/session-cache.ts'
import type { Database, Tables } from '../../db/client.ts'
import { containsText } from './search.ts'

export type User = Tables['users']['$inferSelect']
export type Role = User['role']
export const ROLES = ['admin', 'reseller', 'user'] as const

/** What may leave the server about a user (no hashes, no secrets). */
export function publicUser(user: User) {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    role: user.role,
    status: user.status,
    parent_id: user.parentId,
    package_id: user.packageId,
    totp_enabled: user.totpEnabled,
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
  }
}

export async function hashPassword(password: string): Promise<string> {
  return Bun.password.hash(password, { algorithm: 'argon2id' })
}

export async function findUserByUsername(database: Database, username: string): Promise<User | null> {
  const { db, t } = database
  const [row] = await db.select().from(t.users).where(eq(t.users.username, username)).limit(1)
  return row ?? null
}

const byIdStatements = new WeakMap<Database, ReturnType<typeof prepareById>>()
function prepareById(database: Database) {
  const { db, t } = database
  return db
    .select()
    .from(t.users)
    .where(eq(t.users.id, sql.placeholder('id')))
    .limit(1)
    .prepare('user_by_id')
}

/** Runs on every authenticated request, so it is prepared once per database. */
export async function findUserById(database: Database, id: number): Promise<User | null> {
  let statement = byIdStatements.get(database)
  if (!statement) {
    statement = prepareById(database)
    byIdStatements.set(database, statement)
  }
  const [row] = await statement.execute({ id })
  return row ?? null
}

export async function countUsers(database: Database): Promise<number> {
  const { db, t } = database
  const [row] = await db.select({ n: sql<number>`count(*)` }).from(t.users)
  return Number(row?.n ?? 0)
}

export async function createUser(
  database: Database,
  input: {
    username: string
    role: Role
    email?: string | null
    password: string
    parentId?: number | null
    packageId?: number | null
  },
): Promise<User> {
  const { db, t } = database
  const [row] = await db
    .insert(t.users)
    .values({
      username: input.username,
      role: input.role,
      email: input.email ?? null,
      passwordHash: await hashPassword(input.password),
      parentId: input.parentId ?? null,
      packageId: input.packageId ?? null,
      passwordChangedAt: new Date(),
    })
    .returning()
  return row!
}

export async function setPassword(database: Database, userId: number, password: string): Promise<void> {
  const { db, t } = database
  await db
    .update(t.users)
    .set({ passwordHash: await hashPassword(password), passwordChangedAt: new Date() })
    .where(eq(t.users.id, userId))
  identityChanged(database)
}

export async function setStatus(database: Database, userId: number, status: User['status']): Promise<void> {
  const { db, t } = database
  await db.update(t.users).set({ status }).where(eq(t.users.id, userId))
  identityChanged(database)
}

/** Turns 2FA off: forgets the secret, the last step and the recovery codes. */
export async function resetTotp(database: Database, userId: number): Promise<void> {
  const { t } = database
  await database.transaction(async (tx) => {
    await tx
      .update(t.users)
      .set({ totpSecret: null, totpEnabled: false, totpLastStep: null })
      .where(eq(t.users.id, userId))
    await tx.delete(t.recoveryCodes).where(eq(t.recoveryCodes.userId, userId))
  })
  identityChanged(database)
}

export async function listUserRows(
  database: Database,
  options: {
    parentId?: number
    q?: string
    role?: Role
    status?: User['status']
    offset: number
    limit: number
  },
): Promise<{ rows: User[]; total: number }> {
  const { db, t } = database
  const where = and(
    options.parentId === undefined ? undefined : eq(t.users.parentId, options.parentId),
    options.role ? eq(t.users.role, options.role) : undefined,
    options.status ? eq(t.users.status, options.status) : undefined,
    options.q
      ? sql`(${containsText(t.users.username, options.q)} or ${containsText(t.users.email, options.q)})`
      : undefined,
  )
  const rows = await db
    .select()
    .from(t.users)
    .where(where)
    .orderBy(asc(t.users.username))
    .limit(options.limit)
    .offset(options.offset)
  const [count] = await db.select({ n: sql<number>`count(*)` }).from(t.users).where(where)
  return { rows, total: Number(count?.n ?? 0) }
}

export async function updateUserRow(
  database: Database,
  userId: number,
  values: Partial<Pick<User, 'email' | 'role' | 'status' | 'packageId'>>,
): Promise<User> {
  const { db, t } = database
  if (Object.keys(values).length === 0) return (await findUserById(database, userId))!
  const [row] = await db.update(t.users).set(values).where(eq(t.users.id, userId)).returning()
  identityChanged(database)
  return row!
}

export async function countChildren(database: Database, userId: number): Promise<number> {
  const { db, t } = database
  const [row] = await db
    .select({ n: sql<number>`count(*)` })
    .from(t.users)
    .where(eq(t.users.parentId, userId))
  return Number(row?.n ?? 0)
}

/** Removes the user row with its sessions, API tokens and recovery codes (audit rows stay). */
export async function deleteUserRow(database: Database, userId: number): Promise<void> {
  const { t } = database
  await database.transaction(async (tx) => {
    await tx.delete(t.sessions).where(eq(t.sessions.userId, userId))
    await tx.delete(t.apiTokens).where(eq(t.apiTokens.userId, userId))
    await tx.delete(t.recoveryCodes).where(eq(t.recoveryCodes.userId, userId))
    await tx.delete(t.users).where(eq(t.users.id, userId))
  })
  identityChanged(database)
}
