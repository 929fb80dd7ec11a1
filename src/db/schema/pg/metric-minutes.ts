import { integer, pgTable, primaryKey } from 'drizzle-orm/pg-core'
import { bytes, time } from './columns.ts'

/**
 * Minute roll-ups, packed: one row holds one hour of 60 one-minute averages as fixed
 * slots (see areas/metrics/chunk.ts), so a month of history is a few hundred small rows
 * per server and a write for one slot is idempotent.
 */
export const metricMinutes = pgTable(
  'metric_minutes',
  {
    serverId: integer('server_id').notNull(),
    startAt: time('start_at').notNull(),
    points: bytes('points').notNull(),
  },
  (t) => [primaryKey({ name: 'metric_minutes_pk', columns: [t.serverId, t.startAt] })],
)
