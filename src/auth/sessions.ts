/**
 * Server-side sessions. The cookie carries 128 random bits; the database keeps only
 * their sha256, so a leaked database row cannot be replayed. A session has an idle
 * and an absolute timeout, and a new id is issued after each login step (fixation).
 *
 * @example
 *   const { token } = await createSession(database, user, { stage: 'full', ip, userAgent })
 */
import { and, eq, lt, ne, or, sql } from 'drizzle-orm'
import type { Database, Tables } from '../db/client.ts'
import { randomToken, sha256Hex } from '../lib/crypto.ts'
import { identityChanged } from './session-cache.ts'

export type Session = Tables['sessions']['$inferSelect']

export const SESSION_IDLE_MS = 30 * 60 * 1000
export const SESSION_ABSOLUTE_MS = 12 * 60 * 60 * 1000
/** Don't write last_seen_at on every request; once a minute is enough for the idle timeout. */
const TOUCH_EVERY_MS = 60 * 1000

export function sessionCookieName(production: boolean): string {
  return production ? '__Host-unipanel_session' : 'unipanel_session'
}

/** The per-request lookup, prepared once per database. */
const statements = new WeakMap<Database, ReturnType<typeof prepare>>()
function prepare(database: Database) {
  const { db, t } = database
  return {
    byId: db
      .select()
      .from(t.sessions)
      .where(eq(t.sessions.id, sql.placeholder('id')))
      .limit(1)
      .prepare('session_by_id'),
  }
}
function statementsOf(database: Database) {
  let prepared = statements.get(database)
  if (!prepared) {
    prepared = prepare(database)
    statements.set(database, prepared)
  }
  return prepared
}

export async function createSession(
  database: Database,
  userId: number,
  meta: { stage: Session['stage']; ip: string | null; userAgent: string | null; now?: Date },
): Promise<{ token: string; session: Session }> {
  const { db, t } = database
  const now = meta.now ?? new Date()
  const token = randomToken(16)
  const [session] = await db
    .insert(t.sessions)
    .values({
      id: sha256Hex(token),
      userId,
      stage: meta.stage,
      csrfToken: randomToken(24),
      ip: meta.ip,
      userAgent: meta.userAgent?.slice(0, 300) ?? null,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + SESSION_ABSOLUTE_MS),
    })
    .returning()
  return { token, session: session! }
}

/** The live session for a cookie value, or null (unknown, idle too long, past its absolute end). */
export async function findSession(
  database: Database,
  token: string,
  now = new Date(),
): Promise<Session | null> {
  if (!/^[A-Za-z0-9_-]{10,64}$/.test(token)) return null
  const { db, t } = database
  const id = sha256Hex(token)
  const [session] = await statementsOf(database).byId.execute({ id })
  if (!session) return null
  if (session.expiresAt <= now || now.getTime() - session.lastSeenAt.getTime() > SESSION_IDLE_MS) {
    await db.delete(t.sessions).where(eq(t.sessions.id, id))
    return null
  }
  if (now.getTime() - session.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
    await db.update(t.sessions).set({ lastSeenAt: now }).where(eq(t.sessions.id, id))
  }
  return session
}

export async function deleteSession(database: Database, sessionId: string): Promise<void> {
  const { db, t } = database
  await db.delete(t.sessions).where(eq(t.sessions.id, sessionId))
  identityChanged(database)
}

/** Ends every session of a user, except the one given (the caller's own). */
export async function deleteUserSessions(
  database: Database,
  userId: number,
  exceptId?: string,
): Promise<void> {
  const { db, t } = database
  await db
    .delete(t.sessions)
    .where(
      exceptId
        ? and(eq(t.sessions.userId, userId), ne(t.sessions.id, exceptId))
        : eq(t.sessions.userId, userId),
    )
  identityChanged(database)
}

export async function listUserSessions(database: Database, userId: number): Promise<Session[]> {
  const { db, t } = database
  return db.select().from(t.sessions).where(eq(t.sessions.userId, userId)).orderBy(t.sessions.lastSeenAt)
}

export async function purgeExpiredSessions(database: Database, now = new Date()): Promise<void> {
  const { db, t } = database
  await db
    .delete(t.sessions)
    .where(
      or(lt(t.sessions.expiresAt, now), lt(t.sessions.lastSeenAt, new Date(now.getTime() - SESSION_IDLE_MS))),
    )
  identityChanged(database)
}
