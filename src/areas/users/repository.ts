/**
 * Users: the rows behind logins, roles and tenancy. Other areas reach users only
 * through these functions.
 */
import { and, eq, sql } from 'drizzle-orm'
import type { Database, Tables } from '../../db/client.ts'

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

export async function findUserById(database: Database, id: number): Promise<User | null> {
  const { db, t } = database
  const [row] = await db.select().from(t.users).where(eq(t.users.id, id)).limit(1)
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
}

export async function setStatus(database: Database, userId: number, status: User['status']): Promise<void> {
  const { db, t } = database
  await db.update(t.users).set({ status }).where(eq(t.users.id, userId))
}

export async function resetTotp(database: Database, userId: number): Promise<void> {
  const { db, t } = database
  await db
    .update(t.users)
    .set({ totpSecret: null, totpEnabled: false, totpLastStep: null })
    .where(and(eq(t.users.id, userId)))
}
