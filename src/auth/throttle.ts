/**
 * Sign-in throttling and the login_attempts record. Every attempt is written (time,
 * the username as typed, IP, user agent, result); the limits are counted from those
 * rows, so they hold across panel processes sharing a PostgreSQL database:
 *
 * - per IP: failures of any step;
 * - per account (the typed name, known or not, so a 429 does not tell which names exist):
 *   password failures since the account's last successful sign-in;
 * - per account, for the second step: failed TOTP/recovery codes since the last good code.
 *   A new password login does not reset this count.
 *
 * A limit answers 429 with Retry-After: the seconds until enough failures leave the window.
 *
 * @example
 *   const wait = await loginThrottle(database, { ip, username: 'alice', userId: 3 })
 *   if (wait) throw tooMany(wait)
 */
import { and, desc, eq, gt, lt, or, sql } from 'drizzle-orm'
import { containsText } from '../areas/users/search.ts'
import type { Database, Tables } from '../db/client.ts'
import { AppError } from '../lib/errors.ts'
import { purgeExpiredSessions } from './sessions.ts'

export const THROTTLE = {
  windowMs: 15 * 60 * 1000,
  perIp: 20,
  perAccount: 5,
  secondStepPerAccount: 5,
}

export type LoginAttempt = Tables['loginAttempts']['$inferSelect']

export function normaliseUsername(typed: string): string {
  return typed.trim().toLowerCase()
}

export async function recordLoginAttempt(
  database: Database,
  attempt: {
    username: string
    userId?: number | null
    ip: string
    userAgent?: string | null
    stage: LoginAttempt['stage']
    result: LoginAttempt['result']
    reason?: string | null
  },
): Promise<void> {
  const { db, t } = database
  await db.insert(t.loginAttempts).values({
    username: attempt.username.slice(0, 200),
    userId: attempt.userId ?? null,
    ip: attempt.ip.slice(0, 100),
    userAgent: attempt.userAgent?.slice(0, 300) ?? null,
    stage: attempt.stage,
    result: attempt.result,
    reason: attempt.reason ?? null,
  })
}

/**
 * When `limit` failures matching `where` lie inside the window (and after `since`),
 * the seconds until the oldest of the last `limit` leaves it; else 0.
 */
async function waitFor(
  database: Database,
  where: ReturnType<typeof and>,
  limit: number,
  now: number,
): Promise<number> {
  const { db, t } = database
  const [nth] = await db
    .select({ at: t.loginAttempts.at })
    .from(t.loginAttempts)
    .where(where)
    .orderBy(desc(t.loginAttempts.at))
    .limit(1)
    .offset(limit - 1)
  if (!nth) return 0
  return Math.max(1, Math.ceil((nth.at.getTime() + THROTTLE.windowMs - now) / 1000))
}

async function lastSuccess(
  database: Database,
  where: ReturnType<typeof and>,
  windowStart: Date,
): Promise<Date> {
  const { db, t } = database
  const [row] = await db
    .select({ at: t.loginAttempts.at })
    .from(t.loginAttempts)
    .where(and(where, eq(t.loginAttempts.result, 'success'), gt(t.loginAttempts.at, windowStart)))
    .orderBy(desc(t.loginAttempts.at))
    .limit(1)
  return row?.at ?? windowStart
}

/** Seconds to wait before this IP / account may try again (0: go ahead). */
export async function loginThrottle(
  database: Database,
  who: { ip: string; username?: string; userId?: number | null; secondStep?: boolean },
  now = Date.now(),
): Promise<number> {
  const { t } = database
  const windowStart = new Date(now - THROTTLE.windowMs)
  const failure = eq(t.loginAttempts.result, 'failure')
  const waits: number[] = [
    await waitFor(
      database,
      and(failure, eq(t.loginAttempts.ip, who.ip), gt(t.loginAttempts.at, windowStart)),
      THROTTLE.perIp,
      now,
    ),
  ]
  if (who.username !== undefined && !who.secondStep) {
    const account = and(
      eq(sql`lower(${t.loginAttempts.username})`, normaliseUsername(who.username).slice(0, 200)),
      eq(t.loginAttempts.stage, 'password'),
    )
    const since = await lastSuccess(database, account, windowStart)
    waits.push(
      await waitFor(database, and(account, failure, gt(t.loginAttempts.at, since)), THROTTLE.perAccount, now),
    )
  }
  if (who.userId != null) {
    const secondStep = and(eq(t.loginAttempts.userId, who.userId), eq(t.loginAttempts.stage, 'totp'))
    const since = await lastSuccess(database, secondStep, windowStart)
    waits.push(
      await waitFor(
        database,
        and(secondStep, failure, gt(t.loginAttempts.at, since)),
        THROTTLE.secondStepPerAccount,
        now,
      ),
    )
  }
  return Math.max(...waits)
}

/** How long sign-in attempts are kept for the admins' view. */
export const ATTEMPTS_KEPT_MS = 90 * 24 * 60 * 60 * 1000
const PRUNE_EVERY_MS = 60 * 60 * 1000
const lastPrune = new WeakMap<Database, number>()

/**
 * Drops sign-in attempts older than ATTEMPTS_KEPT_MS and sessions past their timeouts,
 * at most once an hour per process; the sign-in route calls it, so no timer is needed.
 */
export async function pruneSignInRecords(database: Database, now = Date.now()): Promise<void> {
  if (now - (lastPrune.get(database) ?? 0) < PRUNE_EVERY_MS) return
  lastPrune.set(database, now)
  const { db, t } = database
  await db.delete(t.loginAttempts).where(lt(t.loginAttempts.at, new Date(now - ATTEMPTS_KEPT_MS)))
  await purgeExpiredSessions(database, new Date(now))
}

export function tooMany(seconds: number): AppError {
  const minutes = Math.ceil(seconds / 60)
  return new AppError(
    'too-many',
    `too many failed sign-in attempts; try again in ${minutes} minute${minutes === 1 ? '' : 's'}`,
    undefined,
    { 'Retry-After': String(seconds) },
  )
}

export async function listLoginAttempts(
  database: Database,
  options: { offset: number; limit: number; q?: string },
): Promise<{ rows: LoginAttempt[]; total: number }> {
  const { db, t } = database
  const where = options.q
    ? or(containsText(t.loginAttempts.username, options.q), eq(t.loginAttempts.ip, options.q))
    : undefined
  const rows = await db
    .select()
    .from(t.loginAttempts)
    .where(where)
    .orderBy(desc(t.loginAttempts.at), desc(t.loginAttempts.id))
    .limit(options.limit)
    .offset(options.offset)
  const [count] = await db.select({ n: sql<number>`count(*)` }).from(t.loginAttempts).where(where)
  return { rows, total: Number(count?.n ?? 0) }
}
