/**
 * Writes audit rows: who (user, token, IP), what, the object before and after
 * (secrets redacted) and the job that carried it out. Every state change calls this.
 */
import type { Database } from '../../db/client.ts'

export type Actor = {
  userId: number | null
  tokenId?: number | null
  name: string
  ip?: string | null
}

export const CLI_ACTOR: Actor = { userId: null, name: 'cli' }
export const SYSTEM_ACTOR: Actor = { userId: null, name: 'system' }

const SECRET_KEYS = /pass(word)?|secret|token|private_?key|hash|totp|recovery/i

/** A copy of `value` in which every secret-looking key holds '[redacted]'. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact)
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.test(k) && v != null ? '[redacted]' : redact(v)]),
    )
  }
  return value
}

export async function recordAudit(
  database: Database,
  actor: Actor,
  entry: {
    action: string
    objectType: string
    objectId?: string | number | null
    before?: unknown
    after?: unknown
    jobId?: number | null
  },
): Promise<void> {
  const { db, t } = database
  await db.insert(t.auditLog).values({
    actorUserId: actor.userId,
    actorTokenId: actor.tokenId ?? null,
    actorName: actor.name,
    ip: actor.ip ?? null,
    action: entry.action,
    objectType: entry.objectType,
    objectId: entry.objectId == null ? null : String(entry.objectId),
    before: entry.before === undefined ? null : redact(entry.before),
    after: entry.after === undefined ? null : redact(entry.after),
    jobId: entry.jobId ?? null,
  })
}
