import { index, integer, pgTable, text } from 'drizzle-orm/pg-core'
import { id, time } from './columns.ts'

/** Every sign-in attempt, kept for the admins' view and for throttling (counted per IP and per account). */
export const loginAttempts = pgTable(
  'login_attempts',
  {
    id: id(),
    at: time('at')
      .notNull()
      .$defaultFn(() => new Date()),
    /** As typed (bounded), so it is shown escaped, never trusted. */
    username: text('username').notNull(),
    userId: integer('user_id'),
    ip: text('ip').notNull(),
    userAgent: text('user_agent'),
    stage: text('stage', { enum: ['password', 'totp'] }).notNull(),
    result: text('result', { enum: ['success', 'failure', 'throttled'] }).notNull(),
    /** Why it failed, in a word: unknown-user, wrong-password, disabled, wrong-code, recovery-code… */
    reason: text('reason'),
  },
  (t) => [
    index('login_attempts_at_idx').on(t.at),
    index('login_attempts_ip_idx').on(t.ip, t.at),
    index('login_attempts_user_idx').on(t.userId, t.at),
  ],
)
