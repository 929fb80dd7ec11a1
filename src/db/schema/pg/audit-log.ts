import { index, integer, pgTable, text } from 'drizzle-orm/pg-core'
import { id, json, time } from './columns.ts'

export const auditLog = pgTable(
  'audit_log',
  {
    id: id(),
    at: time('at')
      .notNull()
      .$defaultFn(() => new Date()),
    actorUserId: integer('actor_user_id'),
    actorTokenId: integer('actor_token_id'),
    /** The actor's name at the time ('cli' for the host command line, 'system' for the panel itself). */
    actorName: text('actor_name').notNull(),
    ip: text('ip'),
    action: text('action').notNull(),
    objectType: text('object_type').notNull(),
    objectId: text('object_id'),
    before: json<unknown>('before'),
    after: json<unknown>('after'),
    jobId: integer('job_id'),
  },
  (t) => [
    index('audit_log_at_idx').on(t.at),
    index('audit_log_actor_idx').on(t.actorUserId),
    index('audit_log_object_idx').on(t.objectType, t.objectId),
  ],
)
