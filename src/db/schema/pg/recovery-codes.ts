import { index, integer, pgTable, text } from 'drizzle-orm/pg-core'
import { createdAt, id, time } from './columns.ts'

/** Single-use 2FA recovery codes; only their sha256 is kept. */
export const recoveryCodes = pgTable(
  'recovery_codes',
  {
    id: id(),
    userId: integer('user_id').notNull(),
    codeHash: text('code_hash').notNull(),
    usedAt: time('used_at'),
    createdAt: createdAt(),
  },
  (t) => [index('recovery_codes_user_idx').on(t.userId)],
)
