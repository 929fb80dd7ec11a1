import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import { createdAt, id, updatedAt } from './columns.ts'

/** Hosting packages: the quotas assigned to users. */
export const packages = sqliteTable(
  'packages',
  {
    id: id(),
    name: text('name').notNull(),
    /** The reseller that made it and may hand it out; null for the admins' panel-wide packages. */
    ownerId: integer('owner_id'),
    maxWebsites: integer('max_websites').notNull(),
    maxDatabases: integer('max_databases').notNull(),
    maxDnsZones: integer('max_dns_zones').notNull(),
    diskMb: integer('disk_mb').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('packages_owner_idx').on(t.ownerId)],
)
