import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import { bool, createdAt, id, time, updatedAt } from './columns.ts'

export const users = sqliteTable(
  'users',
  {
    id: id(),
    username: text('username').notNull(),
    email: text('email'),
    passwordHash: text('password_hash').notNull(),
    role: text('role', { enum: ['admin', 'reseller', 'user'] }).notNull(),
    status: text('status', { enum: ['active', 'disabled'] })
      .notNull()
      .default('active'),
    /** The reseller (or admin) that created this user; resellers see only their own. */
    parentId: integer('parent_id'),
    packageId: integer('package_id'),
    /** Sealed with the secret box; null until enrolment starts. */
    totpSecret: text('totp_secret'),
    totpEnabled: bool('totp_enabled').notNull().default(false),
    /** The last accepted TOTP time step, so a code works once. */
    totpLastStep: integer('totp_last_step'),
    passwordChangedAt: time('password_changed_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('users_username_unique').on(t.username), index('users_parent_idx').on(t.parentId)],
)
