/**
 * First run: with no users at all, `serve` prints a one-time link to create the
 * first admin. The token is valid one hour, works once, and only its hash is kept.
 */
import { eq } from 'drizzle-orm'
import type { Database } from '../db/client.ts'
import { randomToken, safeEqual, sha256Hex } from '../lib/crypto.ts'

const KEY = 'setup_token'
const VALID_MS = 60 * 60 * 1000

type Stored = { hash: string; expiresAt: number }

export async function issueSetupToken(database: Database, now = Date.now()): Promise<string> {
  const { db, t } = database
  const token = randomToken(24)
  const value: Stored = { hash: sha256Hex(token), expiresAt: now + VALID_MS }
  await db
    .insert(t.settings)
    .values({ key: KEY, value })
    .onConflictDoUpdate({ target: t.settings.key, set: { value } })
  return token
}

export async function setupTokenValid(database: Database, token: string, now = Date.now()): Promise<boolean> {
  const { db, t } = database
  const [row] = await db.select().from(t.settings).where(eq(t.settings.key, KEY)).limit(1)
  const stored = row?.value as Stored | undefined
  return !!stored && stored.expiresAt > now && safeEqual(stored.hash, sha256Hex(token))
}

export async function consumeSetupToken(database: Database): Promise<void> {
  const { db, t } = database
  await db.delete(t.settings).where(eq(t.settings.key, KEY))
}
