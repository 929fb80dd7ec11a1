import { index, integer, pgTable, text } from 'drizzle-orm/pg-core'
import { createdAt, time } from './columns.ts'

export const sessions = pgTable(
  'sessions',
  {
    /** sha256 of the cookie value; the cookie itself is never stored. */
    id: text('id').primaryKey(),
    userId: integer('user_id').notNull(),
    /** 'password' after the first step of a 2FA login, 'full' once authenticated. */
    stage: text('stage', { enum: ['password', 'full'] }).notNull(),
    csrfToken: text('csrf_token').notNull(),
    ip: text('ip'),
    userAgent: text('user_agent'),
    createdAt: createdAt(),
    lastSeenAt: time('last_seen_at').notNull(),
    expiresAt: time('expires_at').notNull(),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
)
