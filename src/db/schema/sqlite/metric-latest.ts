import { integer, sqliteTable } from 'drizzle-orm/sqlite-core'
import { json, time } from './columns.ts'

/** The last full sample of each server (per core, per mount), for /metrics/latest and Prometheus. */
export const metricLatest = sqliteTable('metric_latest', {
  serverId: integer('server_id').primaryKey(),
  at: time('at').notNull(),
  /** Seconds between the server's samples, so a silence can be told from a slow agent. */
  intervalSeconds: integer('interval_seconds').notNull(),
  sample: json<Record<string, unknown>>('sample').notNull(),
})
