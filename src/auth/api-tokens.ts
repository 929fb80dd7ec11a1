/**
 * API tokens: `up_<random>` strings shown once; the database keeps their sha256.
 *
 * @example
 *   const { token } = await createApiToken(database, { userId: 1, name: 'ci', scope: 'write' })
 */
import { and, desc, eq, isNull, sql } from 'drizzle-orm'
import type { Database, Tables } from '../db/client.ts'
import { randomToken, sha256Hex } from '../lib/crypto.ts'

export type ApiToken = Tables['apiTokens']['$inferSelect']

export async function createApiToken(
  database: Database,
  input: { userId: number; name: string; scope: ApiToken['scope']; expiresAt?: Date | null },
): Promise<{ token: string; row: ApiToken }> {
  const { db, t } = database
  const token = `up_${randomToken(24)}`
  const [row] = await db
    .insert(t.apiTokens)
    .values({
      userId: input.userId,
      name: input.name,
      tokenHash: sha256Hex(token),
      scope: input.scope,
      expiresAt: input.expiresAt ?? null,
    })
    .returning()
  return { token, row: row! }
}

/** Every API request looks its token up, so the query is prepared once per database. */
const byHash = new WeakMap<Database, { execute(values: { hash: string }): Promise<ApiToken[]> }>()

/** The usable token for a bearer value, or null (unknown, revoked, expired). */
export async function findApiToken(
  database: Database,
  token: string,
  now = new Date(),
): Promise<ApiToken | null> {
  if (!/^up_[A-Za-z0-9_-]{20,64}$/.test(token)) return null
  const { db, t } = database
  let statement = byHash.get(database)
  if (!statement) {
    statement = db
      .select()
      .from(t.apiTokens)
      .where(and(eq(t.apiTokens.tokenHash, sql.placeholder('hash')), isNull(t.apiTokens.revokedAt)))
      .limit(1)
      .prepare('api_token_by_hash')
    byHash.set(database, statement)
  }
  const [row] = await statement.execute({ hash: sha256Hex(token) })
  if (!row || (row.expiresAt && row.expiresAt <= now)) return null
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > 60_000) {
    await db.update(t.apiTokens).set({ lastUsedAt: now }).where(eq(t.apiTokens.id, row.id))
  }
  return row
}

/** A user's tokens, newest first (revoked ones included, for the record). */
export async function listUserTokens(database: Database, userId: number): Promise<ApiToken[]> {
  const { db, t } = database
  return db.select().from(t.apiTokens).where(eq(t.apiTokens.userId, userId)).orderBy(desc(t.apiTokens.id))
}

/** Revokes one of the user's own tokens; false when it has no such live token. */
export async function revokeApiToken(
  database: Database,
  userId: number,
  tokenId: number,
): Promise<ApiToken | null> {
  const { db, t } = database
  const [row] = await db
    .update(t.apiTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(t.apiTokens.id, tokenId), eq(t.apiTokens.userId, userId), isNull(t.apiTokens.revokedAt)))
    .returning()
  return row ?? null
}

export function publicToken(token: ApiToken) {
  return {
    id: token.id,
    name: token.name,
    scope: token.scope,
    created_at: token.createdAt.toISOString(),
    expires_at: token.expiresAt?.toISOString() ?? null,
    last_used_at: token.lastUsedAt?.toISOString() ?? null,
    revoked_at: token.revokedAt?.toISOString() ?? null,
  }
}
