/**
 * Reading the audit log, scoped by the caller: admins see every row, a reseller the
 * rows its subtree's accounts wrote, a user its own. Newest first.
 */
import { and, desc, eq, inArray, sql } from 'drizzle-orm'
import type { z } from 'zod'
import { listQuery } from '../../api/validate.ts'
import { tenancyOf } from '../../auth/tenancy.ts'
import type { Database, Tables } from '../../db/client.ts'
import { line } from '../../lib/grammar.ts'
import type { User } from '../users/repository.ts'
import { containsText } from '../users/search.ts'

export type AuditRow = Tables['auditLog']['$inferSelect']

export const auditQuery = listQuery
  .extend({
    action: line(100).optional(),
    object_type: line(100).optional(),
    object_id: line(100).optional(),
    actor: line(100).optional(),
  })
  .strict()

export type AuditQuery = z.infer<typeof auditQuery>

export function publicAudit(row: AuditRow) {
  return {
    id: row.id,
    at: row.at.toISOString(),
    actor: { user_id: row.actorUserId, token_id: row.actorTokenId, name: row.actorName },
    ip: row.ip,
    action: row.action,
    object_type: row.objectType,
    object_id: row.objectId,
    before: row.before,
    after: row.after,
    job_id: row.jobId,
  }
}

export async function listAudit(
  database: Database,
  caller: User,
  query: AuditQuery,
): Promise<{ rows: AuditRow[]; total: number }> {
  const { db, t } = database
  const scope = await tenancyOf({ database }, caller)
  const where = and(
    scope.all
      ? undefined
      : scope.ownerIds.length === 1
        ? eq(t.auditLog.actorUserId, scope.ownerIds[0]!)
        : inArray(t.auditLog.actorUserId, scope.ownerIds),
    query.action ? eq(t.auditLog.action, query.action) : undefined,
    query.object_type ? eq(t.auditLog.objectType, query.object_type) : undefined,
    query.object_id ? eq(t.auditLog.objectId, query.object_id) : undefined,
    query.actor ? eq(t.auditLog.actorName, query.actor) : undefined,
    query.q
      ? sql`(${containsText(t.auditLog.action, query.q)} or ${containsText(t.auditLog.objectType, query.q)} or ${containsText(t.auditLog.actorName, query.q)})`
      : undefined,
  )
  const rows = await db
    .select()
    .from(t.auditLog)
    .where(where)
    .orderBy(desc(t.auditLog.at), desc(t.auditLog.id))
    .limit(query.per_page)
    .offset((query.page - 1) * query.per_page)
  const [count] = await db.select({ n: sql<number>`count(*)` }).from(t.auditLog).where(where)
  return { rows, total: Number(count?.n ?? 0) }
}
