/** /api/v1/audit (scoped like the page) and /api/v1/login-attempts (admins). */
import { Hono } from 'hono'
import { registerOperation } from '../../api/openapi.ts'
import { listQuery, validQuery } from '../../api/validate.ts'
import { requireRole } from '../../auth/middleware.ts'
import { listLoginAttempts } from '../../auth/throttle.ts'
import type { AppEnv } from '../../lib/env.ts'
import { auditQuery, listAudit, publicAudit } from './repository.ts'

export const auditApi = new Hono<AppEnv>()

auditApi.get('/audit', validQuery(auditQuery), async (c) => {
  const { rows, total } = await listAudit(c.var.deps.database, c.var.user!, c.req.valid('query'))
  return c.json({ data: rows.map(publicAudit), total })
})

auditApi.get('/login-attempts', requireRole('admin'), validQuery(listQuery), async (c) => {
  const query = c.req.valid('query')
  const { rows, total } = await listLoginAttempts(c.var.deps.database, {
    q: query.q,
    offset: (query.page - 1) * query.per_page,
    limit: query.per_page,
  })
  return c.json({
    data: rows.map((r) => ({
      id: r.id,
      at: r.at.toISOString(),
      username: r.username,
      user_id: r.userId,
      ip: r.ip,
      user_agent: r.userAgent,
      stage: r.stage,
      result: r.result,
      reason: r.reason,
    })),
    total,
  })
})

registerOperation({
  method: 'get',
  path: '/audit',
  summary: 'The audit log, newest first: admins see all, resellers their users’, users their own',
  tag: 'audit',
  query: auditQuery,
  responses: { 200: '{data, total}: actor, action, object, before/after (secrets redacted), ip, job' },
})
registerOperation({
  method: 'get',
  path: '/login-attempts',
  summary: 'Sign-in attempts (admins): time, username as typed, IP, user agent, result',
  tag: 'audit',
  query: listQuery,
  responses: { 200: '{data, total}' },
})
