import { integer, pgTable, primaryKey } from 'drizzle-orm/pg-core'
import { bytes, time } from './columns.ts'

/**
 * Hour roll-ups, packed: one row holds one day of 24 one-hour averages as fixed
 * slots (see areas/metrics/chunk.ts), so a month of history is a few hundred small rows
 * per server and a write for one slot is idempotent.
 */
export const metricHours = pgTable(
  'metric_hours',
  {
    serverId: integer('server_id').notNull(),
    startAt: time('start_at').notNull(),
    points: bytes('points').notNull(),
  },
  (t) => [primaryKey({ name: 'metric_hours_pk', columns: [t.serverId, t.startAt] })],
)
