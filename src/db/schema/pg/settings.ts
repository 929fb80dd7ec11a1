import { pgTable, text } from 'drizzle-orm/pg-core'
import { json, updatedAt } from './columns.ts'

/** Panel-wide settings an admin changes in the UI (e.g. the PowerDNS API), one JSON value per key. */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: json<unknown>('value').notNull(),
  updatedAt: updatedAt(),
})
